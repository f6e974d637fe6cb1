// cpp_example: the C++17 wrapper (include/v2im.hpp) end to end.
//
// Sends a text message one-to-one (waiting on a std::future) and one to a group (with a
// callback), shows an error as a Result and as a v2im::Error exception, receives a message as
// bob (config "receive": true, typed events: v2im::NewMessage), and checks every result.
// Run it through c_examples/with_server.py, which provides V2IM_SERVER_URL, V2IM_SDKAPPID,
// V2IM_SECRET_KEY and V2IM_GROUP_ID. Exits non-zero on any failure.
//
// Results are JSON strings; this example reads them with the small v2im::json helpers. A real
// program would use its JSON library, e.g. nlohmann::json::parse(result.json)["data"]["msgID"].

#include "v2im.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

namespace {

int failures = 0;

void check(bool ok, const std::string &what) {
    std::cout << (ok ? "ok   " : "FAIL ") << what << "\n";
    if (!ok) ++failures;
}

std::string env(const char *name, const char *fallback = nullptr) {
    const char *v = std::getenv(name);
    if (v && *v) return v;
    if (fallback) return fallback;
    std::cerr << "cpp_example: " << name << " is not set (run me through with_server.py)\n";
    std::exit(2);
}

// The message `id` of a createXxxMessage result: {"code":0,"desc":"","data":{"id":...}}.
std::string created_id(const v2im::Result &r) {
    return v2im::json::string_at(r.json, {"data", "id"}).value_or("");
}

void check_sent(const v2im::Result &r, const std::string &what) {
    check(r.ok(), what + ": code 0 (" + std::to_string(r.code) + " " + r.desc + ")");
    auto msg_id = v2im::json::string_at(r.json, {"data", "msgID"});
    check(msg_id && !msg_id->empty(), what + ": has a msgID");
    check(v2im::json::int_at(r.json, {"data", "status"}) == 2, what + ": status 2 (sent)");
    check(v2im::json::string_at(r.json, {"data", "sender"}) == std::string("alice"),
          what + ": sender alice");
    if (msg_id) std::cout << "     msgID " << *msg_id << "\n";
}

// What bob's typed event handler saw (it runs on bob's callback thread).
struct Inbox {
    std::mutex mu;
    std::condition_variable cv;
    bool connected = false;
    std::optional<v2im::ConnectFailed> failed;
    std::optional<v2im::Message> message;

    template <class Pred>
    bool wait(Pred done, std::chrono::seconds timeout) {
        std::unique_lock<std::mutex> lock(mu);
        return cv.wait_for(lock, timeout, [&] { return done(); });
    }
};

int time_scale() {
    const char *s = std::getenv("V2IM_TIME_SCALE");
    int k = s ? std::atoi(s) : 1;
    return k > 1 ? k : 1;
}

}  // namespace

int main() {
    using namespace std::chrono_literals;
    const std::string url = env("V2IM_SERVER_URL");
    const std::string appid = env("V2IM_SDKAPPID", "1400000000");
    const std::string key = env("V2IM_SECRET_KEY");
    const std::string group = env("V2IM_GROUP_ID", "demo-group");

    std::cout << "libv2im " << v2im::version() << "\n";

    const std::string config = "{\"sdkAppID\":" + appid + ",\"userID\":\"alice\",\"secretKey\":" +
                               v2im::json::quote(key) + ",\"serverUrl\":" + v2im::json::quote(url) +
                               "}";
    const std::string bob_config = "{\"sdkAppID\":" + appid + ",\"userID\":\"bob\",\"secretKey\":" +
                                   v2im::json::quote(key) + ",\"serverUrl\":" +
                                   v2im::json::quote(url) + ",\"receive\":true}";
    const auto wait_limit = std::chrono::seconds(30 * time_scale());
    try {
        // 0. bob receives: a typed event handler opens his live channel.
        Inbox inbox;
        v2im::Client bob(bob_config);
        bob.set_typed_event_handler([&inbox](const v2im::Event &e) {
            std::lock_guard<std::mutex> lock(inbox.mu);
            std::visit(v2im::overloaded{
                           [&](const v2im::ConnectSuccess &) { inbox.connected = true; },
                           [&](const v2im::ConnectFailed &f) { inbox.failed = f; },
                           [&](const v2im::NewMessage &m) {
                               if (!inbox.message) inbox.message = m.message;
                           },
                           [](const auto &) {},
                       },
                       e);
            inbox.cv.notify_all();
        });
        check(inbox.wait([&] { return inbox.connected || inbox.failed.has_value(); }, wait_limit) &&
                  inbox.connected,
              "bob's live channel is open" +
                  (inbox.failed ? " (failed: " + inbox.failed->desc + ")" : std::string()));

        v2im::Client client(config);
        std::atomic<int> events{0};
        client.set_event_handler([&events](std::string_view ev) {
            if (v2im::json::member(ev, "event")) ++events;
        });

        // 1. One-to-one text, waiting on the future.
        v2im::Result created = client.call("createTextMessage", R"({"text":"hello from C++"})").get();
        check(created.ok(), "createTextMessage");
        const std::string id = created_id(created);
        check(!id.empty(), "created message has an id");
        std::future<v2im::Result> sent = client.call(
            "sendMessage", "{\"id\":" + v2im::json::quote(id) + ",\"receiver\":\"bob\"}");
        check(sent.wait_for(30s) == std::future_status::ready, "C2C send completed");
        v2im::Result c2c = sent.get();
        check_sent(c2c, "C2C send");
        check(v2im::json::string_at(c2c.json, {"data", "userID"}) == std::string("bob"),
              "C2C send: userID bob");

        // 1b. ... which bob receives as a typed v2im::NewMessage: no JSON parsing on his side.
        check(inbox.wait([&] { return inbox.message.has_value(); }, wait_limit),
              "bob received a message");
        {
            std::lock_guard<std::mutex> lock(inbox.mu);
            if (inbox.message) {
                const v2im::Message &m = *inbox.message;
                std::cout << "     bob got \"" << m.text << "\" from " << m.sender << ", msgID "
                          << m.msg_id << "\n";
                check(m.text == "hello from C++" && m.sender == "alice" && m.user_id == "alice",
                      "received: text, sender and peer");
                check(m.msg_id == v2im::json::string_at(c2c.json, {"data", "msgID"}).value_or("-"),
                      "received: the sender's msgID");
                check(!m.is_self && m.status == 2 && m.elem_type == 1,
                      "received: not self, status 2, a text element");
            }
        }

        // 2. Group text with the callback overload (runs on the library's callback thread).
        v2im::Result gcreated =
            client.call("createTextMessage", R"({"text":"hello group from C++"})").get();
        std::promise<v2im::Result> done;
        client.call("sendMessage",
                    "{\"id\":" + v2im::json::quote(created_id(gcreated)) +
                        ",\"groupID\":" + v2im::json::quote(group) + ",\"priority\":1}",
                    [&done](v2im::Result r) { done.set_value(std::move(r)); });
        auto gfut = done.get_future();
        check(gfut.wait_for(30s) == std::future_status::ready, "group send completed");
        v2im::Result grp = gfut.get();
        check_sent(grp, "group send");
        check(v2im::json::string_at(grp.json, {"data", "groupID"}) == group, "group send: groupID");

        // 3. Errors as values: an unknown id and a missing target come back as Results...
        v2im::Result unknown =
            client.call("sendMessage", R"({"id":"no-such-id","receiver":"bob"})").get();
        check(unknown.code == 6017, "unknown id: 6017 (" + std::to_string(unknown.code) + ")");
        v2im::Result refused = client.call("noSuchMethod", "{}").get();
        check(!refused.ok(), "unknown method refused (" + std::to_string(refused.code) + ")");
        // ... and as exceptions where you opt in.
        try {
            unknown.throw_if_error();
            check(false, "throw_if_error throws");
        } catch (const v2im::Error &e) {
            check(e.code() == 6017 && !e.desc().empty(), std::string("v2im::Error: ") + e.what());
        }

        // 4. Move-only RAII: the moved-to client keeps working, the moved-from one is empty.
        v2im::Client moved = std::move(client);
        check(!client && moved, "moved client");
        v2im::Result after = moved.call("createTextMessage", R"({"text":"after move"})").get();
        check(after.ok(), "call on the moved-to client");
        moved.close();  // the destructor would do the same
        std::cout << "     " << events.load() << " events received\n";
        bob.close();
    } catch (const v2im::Error &e) {
        std::cerr << "unexpected v2im::Error " << e.code() << ": " << e.desc() << "\n";
        return 1;
    }

    // 5. Typed events without a server: v2im::parse_event is what set_typed_event_handler uses.
    {
        v2im::Event conv = v2im::parse_event(
            R"({"event":"onConversationChanged","data":[{"conversationID":"c2c_alice","type":1,)"
            R"("userID":"alice","groupID":null,"unreadCount":2,"orderkey":7,"isPinned":false,)"
            R"("lastMessage":{"msgID":"1_2_3","sender":"alice","elemType":1,)"
            R"("textElem":{"elemType":1,"text":"hi \"you\""},"groupAtUserList":["bob"]}}]})");
        const auto *changed = std::get_if<v2im::ConversationChanged>(&conv);
        check(changed && changed->conversations.size() == 1 &&
                  changed->conversations[0].unread_count == 2 &&
                  changed->conversations[0].last_message &&
                  changed->conversations[0].last_message->text == "hi \"you\"" &&
                  changed->conversations[0].last_message->group_at_user_list.size() == 1,
              "typed onConversationChanged: unread count and last message");
        v2im::Event receipts = v2im::parse_event(
            R"({"event":"onRecvMessageReadReceipts","data":[{"msgID":"1_2_3","groupID":"g",)"
            R"("readCount":1,"unreadCount":2,"isPeerRead":false}]})");
        const auto *r = std::get_if<v2im::MessageReadReceipts>(&receipts);
        check(r && r->receipts.size() == 1 && r->receipts[0].read_count == 1 &&
                  r->receipts[0].unread_count == 2 && r->receipts[0].group_id == "g",
              "typed onRecvMessageReadReceipts: read counts");
        v2im::Event failed =
            v2im::parse_event(R"({"event":"onConnectFailed","data":{"code":100012,"desc":"no"}})");
        const auto *f = std::get_if<v2im::ConnectFailed>(&failed);
        check(f && f->code == V2IM_ERR_NO_CHANNEL && f->desc == "no" &&
                  v2im::info(failed).name == "onConnectFailed",
              "typed onConnectFailed: code and desc");
        v2im::Event later = v2im::parse_event(R"({"event":"onSomethingNew","data":{"x":1}})");
        check(std::holds_alternative<v2im::UnknownEvent>(later) &&
                  v2im::info(later).data() == R"({"x":1})",
              "an unknown event keeps its name and JSON");
    }

    // 6. A refused config throws from the constructor, with a desc naming the key.
    try {
        v2im::Client bad(R"({"userID":"alice","secretKey":"k"})");
        check(false, "config without sdkAppID is refused");
    } catch (const v2im::Error &e) {
        check(e.code() == 6017, std::string("bad config throws: ") + e.what());
    }
    // ... and Client::create reports it without an exception: an empty client whose calls
    // complete at once with 6017, and the refusal in the Result.
    {
        v2im::Result refused;
        v2im::Client bad = v2im::Client::create(R"({"userID":"alice","secretKey":"k"})", refused);
        check(!bad && refused.code == 6017 && refused.desc.find("sdkAppID") != std::string::npos,
              "Client::create: refused with a desc naming sdkAppID: " + refused.desc);
        v2im::Result r = bad.call("createTextMessage", R"({"text":"x"})").get();
        check(r.code == 6017, "an empty client's call completes with 6017");
        v2im::Result fine;
        v2im::Client good = v2im::Client::create(config, fine);
        check(good && fine.ok(), "Client::create of a good config: a client and an ok Result");
    }

    if (failures) {
        std::cout << failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
