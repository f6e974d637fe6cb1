/*
 * v2im.hpp: a header-only C++17 wrapper over the v2im C ABI (v2im.h).
 *
 *     v2im::Client client(R"({"sdkAppID":1400000000,"userID":"alice",
 *                             "secretKey":"...","serverUrl":"http://127.0.0.1:8080"})");
 *     v2im::Result created = client.call("createTextMessage", R"({"text":"hi"})").get();
 *     std::string id = v2im::json::string_at(created.json, {"data", "id"}).value();
 *     v2im::Result sent = client.call("sendMessage",
 *         "{\"id\":" + v2im::json::quote(id) + ",\"receiver\":\"bob\"}").get();
 *     if (!sent) std::cerr << sent.code << " " << sent.desc << "\n";
 *
 * Results are JSON text: `Result::json` is the whole `{"code","desc","data"}` object exactly as
 * the library gave it. Parse it with any JSON library, e.g. `nlohmann::json::parse(r.json)` or
 * `simdjson::padded_string(r.json)`; `v2im::json` below has just enough (find a member, read a
 * string, quote a string) for examples and simple programs, and no dependency.
 *
 * Events can be taken typed: set_typed_event_handler gives a v2im::Event, a std::variant with
 * one struct per event (v2im::NewMessage, v2im::ConnectFailed, v2im::ConversationChanged, ...),
 * whose members are already read from the JSON (v2im::Message, v2im::Conversation,
 * v2im::MessageReceipt) and which each keep the event's whole JSON (`json`, `data()`):
 *
 *     v2im::Client bob(R"({..., "userID":"bob", "receive":true})");
 *     bob.set_typed_event_handler([](const v2im::Event &e) {
 *         if (auto *m = std::get_if<v2im::NewMessage>(&e))
 *             std::cout << m->message.sender << ": " << m->message.text << "\n";
 *     });
 *
 * or visit it: `std::visit(v2im::overloaded{[](const v2im::NewMessage &m) {...},
 * [](const auto &) {}}, e)`.
 *
 * What throws (v2im::Error, derived from std::runtime_error, carrying code, desc and json):
 *   - the Client constructor, when the config is refused (6017 names the key);
 *   - Client::set_event_handler / set_typed_event_handler, when the library refuses the
 *     registration;
 *   - Result::value() / Result::throw_if_error(), on a non-zero code — opt in where you want it.
 * Nothing else throws a v2im::Error: Client::call returns a std::future<Result> that always holds a
 * Result (a request the library refuses outright resolves at once with that code), and the
 * callback overload runs its callback exactly once in every case. std::bad_alloc may be thrown
 * anywhere memory is allocated.
 *
 * Threads: the future of a local method (createXxxMessage, findMessages, setLocalCustomData) is
 * ready when call() returns; network methods complete on the library's callback thread, where
 * callbacks and event handlers run. Never wait on a v2im future inside a callback or an event
 * handler (it would wait for its own thread). Exceptions thrown by callbacks and handlers are
 * caught at the C boundary (they must not unwind through C) and reported to stderr.
 *
 * Lifetime: Client is move-only; its destructor (and close()) calls v2im_client_free, which
 * completes every pending request with a cancellation code — so every future becomes ready and
 * every callback runs — before it returns. Do not destroy a Client inside one of its callbacks.
 */
#ifndef V2IM_HPP
#define V2IM_HPP

#include "v2im.h"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <future>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace v2im {

/// The library's version string.
inline std::string_view version() noexcept {
    const char *v = v2im_version();
    return v ? std::string_view(v) : std::string_view();
}

/// The library's static text for a result code (never empty).
inline std::string_view error_str(std::int32_t code) noexcept {
    const char *s = v2im_error_str(code);
    return s ? std::string_view(s) : std::string_view();
}

// -------------------------------------------------------------------------------------------
// Minimal JSON helpers (no dependency). They read well-formed JSON as the library writes it.
// -------------------------------------------------------------------------------------------
namespace json {
namespace detail {

inline void skip_ws(std::string_view s, std::size_t &i) noexcept {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
}

/// Skips a string starting at s[i] == '"'; i ends after the closing quote. False if malformed.
inline bool skip_string(std::string_view s, std::size_t &i) noexcept {
    if (i >= s.size() || s[i] != '"') return false;
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            ++i;
            return true;
        }
    }
    return false;
}

/// Skips one value of any kind; i ends after it. False if malformed.
inline bool skip_value(std::string_view s, std::size_t &i) noexcept {
    skip_ws(s, i);
    if (i >= s.size()) return false;
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            char c = s[i];
            if (c == '"') {
                if (!skip_string(s, i)) return false;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if (c == '}' || c == ']') {
                if (--depth == 0) {
                    ++i;
                    return true;
                }
            }
            ++i;
        }
        return false;
    }
    std::size_t start = i;  // number, true, false, null
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
           s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
        ++i;
    return i > start;
}

inline void put_utf8(std::string &out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

inline bool hex4(std::string_view s, std::size_t i, std::uint32_t &v) noexcept {
    if (i + 4 > s.size()) return false;
    v = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
        else return false;
    }
    return true;
}

}  // namespace detail

/// The raw text of member `key` of the JSON object `object` (top level only), if present.
inline std::optional<std::string_view> member(std::string_view object, std::string_view key) {
    std::size_t i = 0;
    detail::skip_ws(object, i);
    if (i >= object.size() || object[i] != '{') return std::nullopt;
    ++i;
    for (;;) {
        detail::skip_ws(object, i);
        if (i >= object.size() || object[i] == '}') return std::nullopt;
        std::size_t kstart = i;
        if (!detail::skip_string(object, i)) return std::nullopt;
        std::string_view raw_key = object.substr(kstart + 1, i - kstart - 2);
        detail::skip_ws(object, i);
        if (i >= object.size() || object[i] != ':') return std::nullopt;
        ++i;
        detail::skip_ws(object, i);
        std::size_t vstart = i;
        if (!detail::skip_value(object, i)) return std::nullopt;
        // Keys the library writes are plain ASCII; an escaped key never matches.
        if (raw_key == key) return object.substr(vstart, i - vstart);
        detail::skip_ws(object, i);
        if (i < object.size() && object[i] == ',') ++i;
    }
}

/// Follows a path of member names: at(json, {"data", "messageInfo", "msgID"}).
inline std::optional<std::string_view> at(std::string_view value,
                                          std::initializer_list<std::string_view> path) {
    std::optional<std::string_view> cur = value;
    for (std::string_view key : path) {
        cur = member(*cur, key);
        if (!cur) return std::nullopt;
    }
    return cur;
}

/// Decodes a raw JSON string value ("..." with escapes) to UTF-8; nullopt if it is not a string.
inline std::optional<std::string> as_string(std::string_view raw) {
    if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::nullopt;
    std::string out;
    out.reserve(raw.size() - 2);
    for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
        char c = raw[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i + 1 > raw.size() - 1) return std::nullopt;
        switch (raw[i]) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                std::uint32_t cp = 0;
                if (!detail::hex4(raw, i + 1, cp)) return std::nullopt;
                i += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < raw.size() && raw[i + 1] == '\\' &&
                    raw[i + 2] == 'u') {
                    std::uint32_t lo = 0;
                    if (detail::hex4(raw, i + 3, lo) && lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
                detail::put_utf8(out, cp);
                break;
            }
            default: return std::nullopt;
        }
    }
    return out;
}

/// The string at a path, decoded: string_at(r.json, {"data", "id"}).
inline std::optional<std::string> string_at(std::string_view value,
                                            std::initializer_list<std::string_view> path) {
    auto raw = at(value, path);
    return raw ? as_string(*raw) : std::nullopt;
}

/// The integer at a path (e.g. {"data", "status"}); nullopt if absent or not an integer.
inline std::optional<long long> int_at(std::string_view value,
                                       std::initializer_list<std::string_view> path) {
    auto raw = at(value, path);
    if (!raw || raw->empty()) return std::nullopt;
    long long v = 0;
    std::size_t i = 0;
    bool neg = (*raw)[0] == '-';
    if (neg) i = 1;
    if (i >= raw->size()) return std::nullopt;
    for (; i < raw->size(); ++i) {
        char c = (*raw)[i];
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return neg ? -v : v;
}

/// The boolean at a path; nullopt if absent or not `true`/`false`.
inline std::optional<bool> bool_at(std::string_view value,
                                   std::initializer_list<std::string_view> path) {
    auto raw = at(value, path);
    if (raw == std::string_view("true")) return true;
    if (raw == std::string_view("false")) return false;
    return std::nullopt;
}

/// The raw text of each element of a JSON array (empty if `array` is not an array).
inline std::vector<std::string_view> elements(std::string_view array) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    detail::skip_ws(array, i);
    if (i >= array.size() || array[i] != '[') return out;
    ++i;
    for (;;) {
        detail::skip_ws(array, i);
        if (i >= array.size() || array[i] == ']') return out;
        std::size_t start = i;
        if (!detail::skip_value(array, i)) return out;
        out.push_back(array.substr(start, i - start));
        detail::skip_ws(array, i);
        if (i < array.size() && array[i] == ',') ++i;
    }
}

/// `s` as a JSON string literal, quotes included: for building params.
inline std::string quote(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xF];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
    return out;
}

}  // namespace json

// -------------------------------------------------------------------------------------------
// Typed views of what the library sends: messages, receipts, conversations
// -------------------------------------------------------------------------------------------

namespace detail {
inline std::string str(std::string_view obj, std::string_view key) {
    auto v = json::member(obj, key);
    auto s = v ? json::as_string(*v) : std::nullopt;
    return s ? *s : std::string();
}
inline long long num(std::string_view obj, std::string_view key) {
    return json::int_at(obj, {key}).value_or(0);
}
inline bool flag(std::string_view obj, std::string_view key) {
    return json::bool_at(obj, {key}).value_or(false);
}
}  // namespace detail

/// A V2TimMessage: the members most programs need, and the whole JSON object in `json`.
struct Message {
    std::string json;       ///< the V2TimMessage as the library wrote it
    std::string id;         ///< the local id (a received message's is its msgID)
    std::string msg_id;     ///< the server's msgID ("" until sent)
    std::string sender;
    std::string user_id;    ///< the peer of a one-to-one message ("" for a group message)
    std::string group_id;   ///< "" for a one-to-one message
    std::string text;       ///< textElem.text ("" if not a text message)
    std::string custom_data;  ///< customElem.data ("" if not a custom message)
    std::string cloud_custom_data;
    std::string seq;
    int elem_type = 0;      ///< V2TIM's: 1 text, 2 custom, 3 image, ...
    int status = 0;         ///< 1 sending, 2 sent, 3 failed
    int priority = 0;
    long long timestamp = 0;
    long long random = 0;
    bool is_self = false;
    bool is_online_only = false;
    bool need_read_receipt = false;
    std::vector<std::string> group_at_user_list;

    /// Reads a V2TimMessage object; members that are absent or null keep their defaults.
    static Message parse(std::string_view obj) {
        Message m;
        m.json = std::string(obj);
        m.id = detail::str(obj, "id");
        m.msg_id = detail::str(obj, "msgID");
        m.sender = detail::str(obj, "sender");
        m.user_id = detail::str(obj, "userID");
        m.group_id = detail::str(obj, "groupID");
        m.text = json::string_at(obj, {"textElem", "text"}).value_or("");
        m.custom_data = json::string_at(obj, {"customElem", "data"}).value_or("");
        m.cloud_custom_data = detail::str(obj, "cloudCustomData");
        m.seq = detail::str(obj, "seq");
        m.elem_type = static_cast<int>(detail::num(obj, "elemType"));
        m.status = static_cast<int>(detail::num(obj, "status"));
        m.priority = static_cast<int>(detail::num(obj, "priority"));
        m.timestamp = detail::num(obj, "timestamp");
        m.random = detail::num(obj, "random");
        m.is_self = detail::flag(obj, "isSelf");
        m.is_online_only = detail::flag(obj, "isOnlineOnly");
        m.need_read_receipt = detail::flag(obj, "needReadReceipt");
        if (auto list = json::member(obj, "groupAtUserList"))
            for (std::string_view u : json::elements(*list))
                if (auto s = json::as_string(u)) m.group_at_user_list.push_back(*s);
        return m;
    }
};

/// A V2TimMessageReceipt: a group message's read counts, or a one-to-one read mark / receipt.
struct MessageReceipt {
    std::string json;
    std::string msg_id;     ///< "" in onRecvC2CReadReceipt (the whole conversation)
    std::string user_id;    ///< the reader of one-to-one messages
    std::string group_id;
    long long timestamp = 0;
    long long read_count = 0;
    long long unread_count = 0;
    bool is_peer_read = false;

    static MessageReceipt parse(std::string_view obj) {
        MessageReceipt r;
        r.json = std::string(obj);
        r.msg_id = detail::str(obj, "msgID");
        r.user_id = detail::str(obj, "userID");
        r.group_id = detail::str(obj, "groupID");
        r.timestamp = detail::num(obj, "timestamp");
        r.read_count = detail::num(obj, "readCount");
        r.unread_count = detail::num(obj, "unreadCount");
        r.is_peer_read = detail::flag(obj, "isPeerRead");
        return r;
    }
    /// Every receipt of a JSON array (an event's data, or getMessageReadReceipts' data).
    static std::vector<MessageReceipt> parse_list(std::string_view array) {
        std::vector<MessageReceipt> out;
        for (std::string_view e : json::elements(array)) out.push_back(parse(e));
        return out;
    }
};

/// A V2TimConversation.
struct Conversation {
    std::string json;
    std::string conversation_id;  ///< "c2c_<userID>" or "group_<groupID>"
    int type = 0;                 ///< 1 one-to-one, 2 group
    std::string user_id;
    std::string group_id;
    std::string show_name;
    long long unread_count = 0;
    long long order_key = 0;
    bool is_pinned = false;
    std::optional<Message> last_message;  ///< none if every message was excluded from it

    static Conversation parse(std::string_view obj) {
        Conversation c;
        c.json = std::string(obj);
        c.conversation_id = detail::str(obj, "conversationID");
        c.type = static_cast<int>(detail::num(obj, "type"));
        c.user_id = detail::str(obj, "userID");
        c.group_id = detail::str(obj, "groupID");
        c.show_name = detail::str(obj, "showName");
        c.unread_count = detail::num(obj, "unreadCount");
        c.order_key = detail::num(obj, "orderkey");
        c.is_pinned = detail::flag(obj, "isPinned");
        auto last = json::member(obj, "lastMessage");
        if (last && !last->empty() && last->front() == '{') c.last_message = Message::parse(*last);
        return c;
    }
    static std::vector<Conversation> parse_list(std::string_view array) {
        std::vector<Conversation> out;
        for (std::string_view e : json::elements(array)) out.push_back(parse(e));
        return out;
    }
};

/// The data of a getConversationList result: pass `next_seq` to the next call until
/// `is_finished`.
struct ConversationPage {
    std::string next_seq;
    bool is_finished = false;
    std::vector<Conversation> conversations;

    static ConversationPage parse(std::string_view data) {
        ConversationPage p;
        p.next_seq = detail::str(data, "nextSeq");
        p.is_finished = detail::flag(data, "isFinished");
        if (auto list = json::member(data, "conversationList"))
            p.conversations = Conversation::parse_list(*list);
        return p;
    }
};

// -------------------------------------------------------------------------------------------
// Typed events
// -------------------------------------------------------------------------------------------

/// What every typed event carries: its name and the whole event JSON.
struct EventInfo {
    std::string name;  ///< e.g. "onRecvNewMessage"
    std::string json;  ///< {"event": name, "data": ...} as the library wrote it
    /// The raw JSON of "data".
    std::string_view data() const {
        auto d = json::member(json, "data");
        return d ? *d : std::string_view("null");
    }
};

/// onConnecting: the live channel (config "receive": true) is being opened.
struct Connecting : EventInfo {};
/// onConnectSuccess: the live channel is open.
struct ConnectSuccess : EventInfo {};
/// onConnectFailed: the channel could not be opened or was lost. V2IM_ERR_NO_CHANNEL and
/// refused credentials end the attempts; otherwise the library connects again by itself.
struct ConnectFailed : EventInfo {
    std::int32_t code = 0;
    std::string desc;
};
/// onRecvNewMessage: a received message (`redelivered`: given again after a restart).
struct NewMessage : EventInfo {
    Message message;
    bool redelivered = false;
};
/// onRecvC2CReadReceipt: peers marked our one-to-one messages read.
struct C2CReadReceipt : EventInfo {
    std::vector<MessageReceipt> receipts;
};
/// onRecvMessageReadReceipts: receipts of our messages sent with needReadReceipt.
struct MessageReadReceipts : EventInfo {
    std::vector<MessageReceipt> receipts;
};
/// onConversationChanged: the new state of some conversations.
struct ConversationChanged : EventInfo {
    std::vector<Conversation> conversations;
};
/// onTotalUnreadMessageCountChanged.
struct TotalUnreadCountChanged : EventInfo {
    long long total_unread_count = 0;
};
/// onSendMessageProgress: how far the message `id` is (`msg_id` is "" until it is sent; the
/// whole message comes with onMessageStatusChanged).
struct SendProgress : EventInfo {
    std::string id;
    std::string msg_id;
    int progress = 0;
};
/// onMessageStatusChanged: a send started (1), succeeded (2) or failed (3).
struct MessageStatusChanged : EventInfo {
    Message message;
    int status = 0;
    std::int32_t code = 0;
    std::string desc;
};
/// onLog.
struct LogEvent : EventInfo {
    std::string level;  ///< "error", "warn", "info" or "debug"
    std::string message;
};
/// An event this header does not know (from a newer library): name and JSON only.
struct UnknownEvent : EventInfo {};

using Event = std::variant<Connecting, ConnectSuccess, ConnectFailed, NewMessage, C2CReadReceipt,
                           MessageReadReceipts, ConversationChanged, TotalUnreadCountChanged,
                           SendProgress, MessageStatusChanged, LogEvent, UnknownEvent>;

/// The name and JSON of any event.
inline const EventInfo &info(const Event &e) {
    return std::visit([](const auto &x) -> const EventInfo & { return x; }, e);
}

/// For std::visit: `std::visit(v2im::overloaded{[](const v2im::NewMessage &) {...},
/// [](const auto &) {}}, event)`.
template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

/// Reads an event's JSON (`{"event": name, "data": ...}`) into its struct.
inline Event parse_event(std::string_view event_json) {
    EventInfo base;
    base.name = json::string_at(event_json, {"event"}).value_or("");
    base.json = std::string(event_json);
    std::string_view d = base.data();
    const std::string &n = base.name;
    auto with = [&](auto ev) {
        static_cast<EventInfo &>(ev) = std::move(base);
        return Event(std::move(ev));
    };
    auto message = [&] {
        auto m = json::member(d, "message");
        return Message::parse(m ? *m : std::string_view("{}"));
    };
    if (n == "onConnecting") return with(Connecting{});
    if (n == "onConnectSuccess") return with(ConnectSuccess{});
    if (n == "onConnectFailed") {
        ConnectFailed e;
        e.code = static_cast<std::int32_t>(detail::num(d, "code"));
        e.desc = detail::str(d, "desc");
        return with(std::move(e));
    }
    if (n == "onRecvNewMessage") {
        NewMessage e;
        e.message = message();
        e.redelivered = detail::flag(d, "redelivered");
        return with(std::move(e));
    }
    if (n == "onRecvC2CReadReceipt") {
        C2CReadReceipt e;
        e.receipts = MessageReceipt::parse_list(d);
        return with(std::move(e));
    }
    if (n == "onRecvMessageReadReceipts") {
        MessageReadReceipts e;
        e.receipts = MessageReceipt::parse_list(d);
        return with(std::move(e));
    }
    if (n == "onConversationChanged") {
        ConversationChanged e;
        e.conversations = Conversation::parse_list(d);
        return with(std::move(e));
    }
    if (n == "onTotalUnreadMessageCountChanged") {
        TotalUnreadCountChanged e;
        e.total_unread_count = detail::num(d, "totalUnreadCount");
        return with(std::move(e));
    }
    if (n == "onSendMessageProgress") {
        SendProgress e;
        e.id = detail::str(d, "id");
        e.msg_id = detail::str(d, "msgID");
        e.progress = static_cast<int>(detail::num(d, "progress"));
        return with(std::move(e));
    }
    if (n == "onMessageStatusChanged") {
        MessageStatusChanged e;
        e.message = message();
        e.status = static_cast<int>(detail::num(d, "status"));
        e.code = static_cast<std::int32_t>(detail::num(d, "code"));
        e.desc = detail::str(d, "desc");
        return with(std::move(e));
    }
    if (n == "onLog") {
        LogEvent e;
        e.level = detail::str(d, "level");
        e.message = detail::str(d, "message");
        return with(std::move(e));
    }
    return with(UnknownEvent{});
}

// -------------------------------------------------------------------------------------------
// Results and errors
// -------------------------------------------------------------------------------------------

/// A failed call, as an exception. Thrown only where the header comment above says.
class Error : public std::runtime_error {
public:
    Error(std::int32_t code, std::string desc, std::string json = {})
        : std::runtime_error("v2im error " + std::to_string(code) + ": " + desc),
          code_(code),
          desc_(std::move(desc)),
          json_(std::move(json)) {}
    std::int32_t code() const noexcept { return code_; }
    const std::string &desc() const noexcept { return desc_; }
    /// The whole result JSON, when there was one (for a failed send: its message, status 3).
    const std::string &json() const noexcept { return json_; }

private:
    std::int32_t code_;
    std::string desc_;
    std::string json_;
};

/// The outcome of one call: its code, its desc, and the whole `{"code","desc","data"}` JSON.
struct Result {
    std::int32_t code = 0;
    std::string desc;
    std::string json;

    bool ok() const noexcept { return code == 0; }
    explicit operator bool() const noexcept { return ok(); }
    /// The raw JSON text of "data" (an object, an array or null).
    std::string_view data() const {
        auto d = json::member(json, "data");
        return d ? *d : std::string_view("null");
    }
    /// Throws Error if the call failed; returns *this otherwise.
    const Result &throw_if_error() const & {
        if (code != 0) throw Error(code, desc, json);
        return *this;
    }
    /// The JSON of "data" as a string; throws Error if the call failed.
    std::string value() const {
        throw_if_error();
        return std::string(data());
    }

    /// From what the library passed to a callback (`result_json` may be NULL only in theory).
    static Result from_c(std::int32_t code, const char *result_json) {
        Result r;
        r.code = code;
        if (result_json) r.json = result_json;
        auto d = json::string_at(r.json, {"desc"});
        r.desc = d ? *d : std::string(error_str(code));
        if (r.json.empty())
            r.json = "{\"code\":" + std::to_string(code) + ",\"desc\":" + json::quote(r.desc) +
                     ",\"data\":null}";
        return r;
    }
};

using ResultCallback = std::function<void(Result)>;
using EventHandler = std::function<void(std::string_view event_json)>;
using TypedEventHandler = std::function<void(const Event &event)>;

namespace detail {

inline void report_exception(const char *where) noexcept {
    try {
        throw;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "v2im.hpp: exception escaped %s: %s\n", where, e.what());
    } catch (...) {
        std::fprintf(stderr, "v2im.hpp: exception escaped %s\n", where);
    }
}

extern "C" {
/* C-linkage trampolines handed to the library. user_data is a heap object owned by the
   library for the life of the request (result) or of the registration (events). */
inline void v2im_hpp_on_result(void *user_data, int32_t code, const char *result_json) {
    std::unique_ptr<ResultCallback> cb(static_cast<ResultCallback *>(user_data));
    try {
        if (cb && *cb) (*cb)(Result::from_c(code, result_json));
    } catch (...) {
        report_exception("a v2im result callback");
    }
}

inline void v2im_hpp_on_event(void *user_data, const char *event_json) {
    try {
        auto *h = static_cast<EventHandler *>(user_data);
        if (h && *h && event_json) (*h)(std::string_view(event_json));
    } catch (...) {
        report_exception("a v2im event handler");
    }
}

inline void v2im_hpp_free_event(void *user_data) {
    delete static_cast<EventHandler *>(user_data);
}

inline void v2im_hpp_on_new(void *user_data, int32_t code, const char *result_json) {
    try {
        *static_cast<Result *>(user_data) = Result::from_c(code, result_json);
    } catch (...) {
        report_exception("v2im_client_new");
    }
}
}  // extern "C"

}  // namespace detail

// -------------------------------------------------------------------------------------------
// The client
// -------------------------------------------------------------------------------------------

/// RAII owner of one v2im_client. Move-only. All member functions may be called from any
/// thread at once, except close()/destruction/move, which need exclusive access.
class Client {
public:
    /// Creates a client from its config JSON (docs/config.md). Throws Error on refusal.
    explicit Client(const std::string &config_json) {
        Result r;
        client_ = open(config_json, r);
        if (!client_) throw Error(r.code, r.desc, r.json);
    }

    /// Creates a client without exceptions. On refusal the returned Client is empty (false as
    /// a bool; its call()s complete at once with 6017, as for a NULL handle) and `refused`
    /// holds the code and the desc that names the faulty key; on success `refused` is ok().
    static Client create(const std::string &config_json, Result &refused) {
        Client c;
        c.client_ = open(config_json, refused);
        return c;
    }

    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    Client(Client &&other) noexcept : client_(std::exchange(other.client_, nullptr)) {}
    Client &operator=(Client &&other) noexcept {
        if (this != &other) {
            close();
            client_ = std::exchange(other.client_, nullptr);
        }
        return *this;
    }
    ~Client() { close(); }

private:
    Client() noexcept = default;

    /// v2im_client_new; on refusal nullptr, with `r` holding the code and desc.
    static v2im_client *open(const std::string &config_json, Result &r) {
        r = Result();
        v2im_client *c = nullptr;
        std::int32_t rc = v2im_client_new(config_json.c_str(), &c, &detail::v2im_hpp_on_new, &r);
        if (rc != 0 || c == nullptr) {
            r.code = rc != 0 ? rc : (r.code != 0 ? r.code : -1);
            if (r.desc.empty()) r.desc = std::string(error_str(r.code));
            return nullptr;
        }
        r = Result();
        return c;
    }

public:

    /// v2im_client_free: completes every pending request (cancellation code), joins the
    /// library's threads, and returns; no callback runs afterwards. Idempotent.
    void close() noexcept {
        if (client_) v2im_client_free(std::exchange(client_, nullptr));
    }

    /// The C handle, for calling v2im.h directly (still owned by this object).
    v2im_client *handle() const noexcept { return client_; }
    explicit operator bool() const noexcept { return client_ != nullptr; }

    /// Calls `method` with `params_json` (a JSON object); `cb` runs exactly once, with the
    /// result: on the calling thread before call() returns for local methods or when the
    /// library refuses the request (then with its return code; an exception `cb` throws in
    /// that one case propagates out of call()), else on the callback thread.
    void call(const std::string &method, const std::string &params_json, ResultCallback cb) const {
        auto holder = std::make_unique<ResultCallback>(std::move(cb));
        std::int32_t rc = v2im_call(client_, method.c_str(), params_json.c_str(),
                                    &detail::v2im_hpp_on_result, holder.get());
        if (rc == 0) {
            holder.release();  // now owned by the library's one callback
            return;
        }
        Result r = Result::from_c(rc, nullptr);
        if (*holder) (*holder)(std::move(r));
    }

    /// Calls `method`; the future always holds a Result (never an exception from v2im).
    std::future<Result> call(const std::string &method, const std::string &params_json = "{}") const {
        auto promise = std::make_shared<std::promise<Result>>();
        std::future<Result> fut = promise->get_future();
        call(method, params_json, [promise](Result r) { promise->set_value(std::move(r)); });
        return fut;
    }

    /// Sets the event handler (`{"event": ..., "data": ...}` JSON, on the callback thread).
    /// An empty function stops events. Throws Error if the library refuses.
    void set_event_handler(EventHandler handler) {
        std::int32_t rc;
        if (!handler) {
            rc = v2im_set_event_callback(client_, nullptr, nullptr, nullptr);
        } else {
            auto holder = std::make_unique<EventHandler>(std::move(handler));
            rc = v2im_set_event_callback(client_, &detail::v2im_hpp_on_event, holder.get(),
                                         &detail::v2im_hpp_free_event);
            if (rc == 0) holder.release();  // freed by the library through free_user_data
        }
        if (rc != 0) throw Error(rc, std::string(error_str(rc)));
    }

    /// Sets the event handler, with each event read into its struct (see v2im::Event) on the
    /// callback thread; it replaces any handler set before (a client has one). With the config's
    /// "receive": true this opens the live channel. An empty function stops events. Throws
    /// Error if the library refuses.
    void set_typed_event_handler(TypedEventHandler handler) {
        if (!handler) {
            set_event_handler(EventHandler());
            return;
        }
        set_event_handler([h = std::move(handler)](std::string_view event_json) {
            h(parse_event(event_json));
        });
    }

private:
    v2im_client *client_ = nullptr;
};

}  // namespace v2im

#endif  // V2IM_HPP
