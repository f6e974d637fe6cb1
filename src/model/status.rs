//! V2TIM message status and element type numbers (reference §2.4).

/// V2TIM `MessageStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageStatus {
    /// Created and not yet sent, or in flight (V2TIM uses the same value for both; see
    /// `Message::send_count` to tell them apart).
    Sending = 1,
    SendSucc = 2,
    SendFail = 3,
    HasDeleted = 4,
    LocalImported = 5,
    LocalRevoked = 6,
}

impl MessageStatus {
    /// The V2TIM number.
    pub fn value(self) -> i32 {
        self as i32
    }
}

/// V2TIM `MessageElemType` (not the C API's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ElemType {
    None = 0,
    Text = 1,
    Custom = 2,
    Image = 3,
    Sound = 4,
    Video = 5,
    File = 6,
    Location = 7,
    Face = 8,
    GroupTips = 9,
    Merger = 10,
}

impl ElemType {
    /// The V2TIM number.
    pub fn value(self) -> i32 {
        self as i32
    }
}
