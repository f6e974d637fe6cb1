//! V2TIM message status and element type numbers.

/// V2TIM `MessageStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageStatus {
    /// Created and not yet sent, or in flight (V2TIM uses the same value for both; see
    /// `Message::send_count` to tell them apart).
    Sending = 1,
    /// Accepted by the server.
    SendSucc = 2,
    /// Refused or failed; may be sent again.
    SendFail = 3,
    /// Deleted (a group history placeholder).
    HasDeleted = 4,
    /// Imported locally.
    LocalImported = 5,
    /// Recalled.
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
    /// No element.
    None = 0,
    /// `textElem`.
    Text = 1,
    /// `customElem`.
    Custom = 2,
    /// `imageElem`.
    Image = 3,
    /// `soundElem`.
    Sound = 4,
    /// `videoElem`.
    Video = 5,
    /// `fileElem`.
    File = 6,
    /// `locationElem`.
    Location = 7,
    /// `faceElem`.
    Face = 8,
    /// `mergerElem`.
    Merger = 10,
}

impl ElemType {
    /// The V2TIM number.
    pub fn value(self) -> i32 {
        self as i32
    }
}
