/*
 * receive.c: the receiving side of the v2im C API (config "receive": true).
 *
 * alice and bob in one program, both receiving. A receiving client holds v2im-server's live
 * channel from the moment its first event listener is set; what arrives comes as events on the
 * client's callback thread: onRecvNewMessage, the read receipts, onConversationChanged and
 * onTotalUnreadMessageCountChanged.
 *
 *   1. alice sends bob a text: bob gets onRecvNewMessage, with alice's msgID.
 *   2. a typing indicator: a custom message sent with onlineUserOnly. It reaches bob because his
 *      channel is open, and is never stored (bob's history does not have it).
 *   3. a group message to demo-group (created by the runner over REST) that @-mentions bob, sent
 *      with needReadReceipt: bob gets it and sends a read receipt (sendMessageReadReceipts);
 *      alice gets onRecvMessageReadReceipts with the read counts, and getMessageReadReceipts
 *      says the same.
 *   4. bob marks his conversation with alice read (markC2CMessageAsRead): alice gets
 *      onRecvC2CReadReceipt.
 *   5. unread counts: bob marks the group read, alice sends three texts, one with
 *      isExcludedFromUnreadCount and one with isExcludedFromLastMessage. bob's events, his
 *      conversation list (one conversation per page, following nextSeq) and
 *      getTotalUnreadMessageCount all say 2 unread, and the last message is the one sent with
 *      isExcludedFromUnreadCount (the newest one is excluded from being the last message).
 *   6. none of alice's own sends came back to her as a received message.
 *
 * Messages sent before a client's channel first opens are not received live (a fresh channel
 * starts "from now"; with a dataDir it resumes where it stopped), so both wait for
 * onConnectSuccess first.
 */
#include "example_util.h"

static v2im_client *alice;
static v2im_client *bob;
static ex_events alice_events;
static ex_events bob_events;
static const char *group_id;

/* Creates a text and sends it with `target` (JSON members); copies the msgID to msg_id. */
static void send_text(const char *text, const char *target, char *msg_id, size_t size)
{
    char params[512];
    char id[128];
    char *json;
    snprintf(params, sizeof params, "{\"text\":\"%s\"}", text);
    ex_create(alice, "createTextMessage", params, id, sizeof id);
    snprintf(params, sizeof params, "{\"id\":\"%s\",%s}", id, target);
    json = ex_call_ok(alice, "sendMessage", params);
    EX_CHECK(ex_json_has(json, "\"status\":2"), "not sent: %s", json);
    ex_msg_id(json, msg_id, size);
    free(json);
}

/* Tests on an event's data (ex_event_test). */

/* onRecvNewMessage {"message": {...}}: the message with msgID `arg`. */
static int message_is(const char *data, const void *arg)
{
    return ex_json_member_is(ex_json_member(data, "message"), "msgID", (const char *)arg);
}

/* A receipt list: has a receipt of msgID `arg`. */
static int receipt_of(const char *data, const void *arg)
{
    return ex_json_find(data, "msgID", (const char *)arg) != NULL;
}

/* A receipt list: has a receipt from user `arg`. */
static int receipt_from(const char *data, const void *arg)
{
    return ex_json_find(data, "userID", (const char *)arg) != NULL;
}

/* onConversationChanged: conversation `want->id` with `want->unread` unread. */
typedef struct conversation_state {
    const char *id;
    long long unread;
} conversation_state;

static int conversation_has(const char *data, const void *arg)
{
    const conversation_state *want = (const conversation_state *)arg;
    long long unread;
    const char *conv = ex_json_find(data, "conversationID", want->id);
    return conv != NULL && ex_json_member_int(conv, "unreadCount", &unread) &&
           unread == want->unread;
}

/* onTotalUnreadMessageCountChanged {"totalUnreadCount": n} with n == *arg. */
static int total_is(const char *data, const void *arg)
{
    long long total;
    return ex_json_member_int(data, "totalUnreadCount", &total) &&
           total == *(const long long *)arg;
}

/* The received message of an onRecvNewMessage event: checks what every received message has. */
static const char *received_message(const char *event, const char *msg_id)
{
    const char *m = ex_json_member(ex_json_member(event, "data"), "message");
    EX_CHECK(m != NULL, "no data.message in %s", event);
    EX_CHECK(ex_json_member_is(m, "msgID", msg_id), "msgID is not %s: %s", msg_id, m);
    EX_CHECK(ex_json_member_is(m, "sender", "alice"), "sender is not alice: %s", m);
    EX_CHECK(ex_json_has(m, "\"isSelf\":false") && ex_json_has(m, "\"status\":2"),
             "a received message has isSelf false and status 2: %s", m);
    return m;
}

static void step1_text(char *text_id, size_t size)
{
    const char *m;
    char text[128];
    long long elem_type = 0;
    size_t mark = ex_events_mark(&bob_events);
    send_text("Hi Bob, this is Alice.", "\"receiver\":\"bob\"", text_id, size);
    m = received_message(EX_EXPECT_EVENT(&bob_events, mark, "onRecvNewMessage", message_is, text_id,
                                         "alice's text"),
                         text_id);
    EX_CHECK(ex_json_member_is(m, "userID", "alice"),
             "the peer (userID) of a received one-to-one message is its sender: %s", m);
    EX_CHECK(ex_json_member_int(m, "elemType", &elem_type) && elem_type == 1,
             "elemType is not 1 (text): %s", m);
    ex_json_copy_string(ex_json_member(ex_json_member(m, "textElem"), "text"), text, sizeof text);
    EX_CHECK(strcmp(text, "Hi Bob, this is Alice.") == 0, "text is \"%s\"", text);
    printf("1. text:    bob received \"%s\" from alice (msgID %s)\n", text, text_id);
}

static void step2_typing(const char *text_id)
{
    char id[128];
    char typing_id[128];
    char params[512];
    char *json;
    const char *m;
    size_t mark = ex_events_mark(&bob_events);
    ex_create(alice, "createCustomMessage",
              "{\"data\":\"{\\\"businessID\\\":\\\"user_typing_status\\\",\\\"typingStatus\\\":1}\","
              "\"desc\":\"typing\"}",
              id, sizeof id);
    snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\",\"onlineUserOnly\":true}",
             id);
    json = ex_call_ok(alice, "sendMessage", params);
    ex_msg_id(json, typing_id, sizeof typing_id);
    free(json);
    m = received_message(EX_EXPECT_EVENT(&bob_events, mark, "onRecvNewMessage", message_is,
                                         typing_id, "the typing indicator"),
                         typing_id);
    EX_CHECK(ex_json_has(m, "\"isOnlineOnly\":true"), "isOnlineOnly is not true: %s", m);
    EX_CHECK(ex_json_has(m, "user_typing_status"), "custom data missing: %s", m);

    /* Online-only messages are not stored: bob's history has the text, not the indicator. */
    json = ex_call_ok(bob, "getC2CHistoryMessageList", "{\"userID\":\"alice\",\"count\":20}");
    EX_CHECK(ex_json_has(json, text_id), "the text %s is not in bob's history: %s", text_id, json);
    EX_CHECK(!ex_json_has(json, typing_id), "the online-only %s is in bob's history: %s", typing_id,
             json);
    free(json);
    printf("2. typing:  bob received the online-only indicator (isOnlineOnly true), "
           "not kept in the history\n");
}

static void step3_group(void)
{
    char id[128];
    char group_msg[128];
    char params[512];
    long long read = -1;
    long long unread = -1;
    const char *m;
    const char *receipts;
    const char *r;
    char *json;
    size_t bob_mark = ex_events_mark(&bob_events);
    size_t alice_mark = ex_events_mark(&alice_events);

    ex_create(alice, "createTextAtMessage",
              "{\"text\":\"@bob please read the agenda\",\"atUserList\":[\"bob\"]}", id,
              sizeof id);
    snprintf(params, sizeof params, "{\"id\":\"%s\",\"groupID\":\"%s\",\"needReadReceipt\":true}",
             id, group_id);
    json = ex_call_ok(alice, "sendMessage", params);
    ex_msg_id(json, group_msg, sizeof group_msg);
    free(json);
    m = received_message(EX_EXPECT_EVENT(&bob_events, bob_mark, "onRecvNewMessage", message_is,
                                         group_msg, "the group @ message"),
                         group_msg);
    EX_CHECK(ex_json_member_is(m, "groupID", group_id), "groupID is not %s: %s", group_id, m);
    EX_CHECK(ex_json_has(m, "\"groupAtUserList\":[\"bob\"]"), "bob is not @-mentioned: %s", m);
    EX_CHECK(ex_json_has(m, "\"needReadReceipt\":true"), "needReadReceipt is not true: %s", m);

    /* bob's read receipt reaches alice, with the group's counts: bob read it; carol and dave
     * (the group's other members) did not. */
    snprintf(params, sizeof params, "{\"messageIDList\":[\"%s\"]}", group_msg);
    free(ex_call_ok(bob, "sendMessageReadReceipts", params));
    receipts = ex_json_member(EX_EXPECT_EVENT(&alice_events, alice_mark,
                                              "onRecvMessageReadReceipts", receipt_of, group_msg,
                                              "bob's read receipt"),
                              "data");
    r = ex_json_find(receipts, "msgID", group_msg);
    EX_CHECK(ex_json_member_is(r, "groupID", group_id) &&
                 ex_json_member_int(r, "readCount", &read) &&
                 ex_json_member_int(r, "unreadCount", &unread) && read == 1 && unread == 2,
             "receipt: want groupID %s, readCount 1, unreadCount 2: %s", group_id, receipts);

    json = ex_call_ok(alice, "getMessageReadReceipts", params);
    r = ex_json_find(ex_json_member(json, "data"), "msgID", group_msg);
    EX_CHECK(r != NULL && ex_json_member_int(r, "readCount", &read) &&
                 ex_json_member_int(r, "unreadCount", &unread) && read == 1 && unread == 2,
             "getMessageReadReceipts: want readCount 1, unreadCount 2: %s", json);
    free(json);
    printf("3. group:   bob received @bob in %s and sent a read receipt; alice got "
           "onRecvMessageReadReceipts: read %lld, unread %lld\n",
           group_id, read, unread);
}

static void step4_read_mark(void)
{
    const char *receipts;
    const char *r;
    long long timestamp = 0;
    size_t mark = ex_events_mark(&alice_events);
    free(ex_call_ok(bob, "markC2CMessageAsRead", "{\"userID\":\"alice\"}"));
    receipts = ex_json_member(EX_EXPECT_EVENT(&alice_events, mark, "onRecvC2CReadReceipt",
                                              receipt_from, "bob", "bob's read mark"),
                              "data");
    r = ex_json_find(receipts, "userID", "bob");
    EX_CHECK(ex_json_has(r, "\"isPeerRead\":true") && ex_json_member_is(r, "msgID", "") &&
                 ex_json_member_int(r, "timestamp", &timestamp) && timestamp > 0,
             "want userID bob, msgID \"\", isPeerRead true and a timestamp: %s", receipts);
    printf("4. read:    bob marked alice's messages read; alice got onRecvC2CReadReceipt "
           "(userID bob, timestamp %lld)\n",
           timestamp);
}

static void step5_unread(void)
{
    char params[256];
    char counted[128];
    char not_counted[128];
    char not_last[128];
    char conv_group[128];
    char page_seq[128] = "0";
    const conversation_state c2c_two = {"c2c_alice", 2};
    const conversation_state group_zero = {conv_group, 0};
    const long long two = 2;
    int found_c2c = 0;
    int found_group = 0;
    int pages = 0;
    size_t mark;
    char *json;

    snprintf(conv_group, sizeof conv_group, "group_%s", group_id);
    mark = ex_events_mark(&bob_events);
    snprintf(params, sizeof params, "{\"groupID\":\"%s\"}", group_id);
    free(ex_call_ok(bob, "markGroupMessageAsRead", params));
    EX_EXPECT_EVENT(&bob_events, mark, "onConversationChanged", conversation_has, &group_zero,
                    "the group read");

    mark = ex_events_mark(&bob_events);
    send_text("counted", "\"receiver\":\"bob\"", counted, sizeof counted);
    send_text("not counted", "\"receiver\":\"bob\",\"isExcludedFromUnreadCount\":true",
              not_counted, sizeof not_counted);
    send_text("not the last message", "\"receiver\":\"bob\",\"isExcludedFromLastMessage\":true",
              not_last, sizeof not_last);
    EX_EXPECT_EVENT(&bob_events, mark, "onRecvNewMessage", message_is, not_last,
                    "the third text");
    EX_EXPECT_EVENT(&bob_events, mark, "onConversationChanged", conversation_has, &c2c_two,
                    "c2c_alice with 2 unread");
    EX_EXPECT_EVENT(&bob_events, mark, "onTotalUnreadMessageCountChanged", total_is, &two,
                    "a total of 2");

    json = ex_call_ok(bob, "getTotalUnreadMessageCount", "{}");
    EX_CHECK(ex_json_has(json, "\"data\":2"), "getTotalUnreadMessageCount is not 2: %s", json);
    free(json);

    /* The conversation list, one per page: each result's nextSeq is where the next starts. */
    for (;;) {
        const char *data;
        const char *conv;
        long long unread = -1;
        snprintf(params, sizeof params, "{\"nextSeq\":\"%s\",\"count\":1}", page_seq);
        json = ex_call_ok(bob, "getConversationList", params);
        data = ex_json_member(json, "data");
        EX_CHECK(++pages <= 10, "getConversationList did not finish in 10 pages: %s", json);
        for (conv = ex_json_first(ex_json_member(data, "conversationList")); conv != NULL;
             conv = ex_json_next(conv)) {
            const char *last = ex_json_member(conv, "lastMessage");
            EX_CHECK(ex_json_member_int(conv, "unreadCount", &unread), "no unreadCount: %s", conv);
            if (ex_json_member_is(conv, "conversationID", "c2c_alice")) {
                EX_CHECK(unread == 2, "c2c_alice: unreadCount %lld, want 2: %s", unread, conv);
                EX_CHECK(ex_json_member_is(last, "msgID", not_counted),
                         "c2c_alice: lastMessage is not %s (\"not counted\"): %s", not_counted,
                         conv);
                found_c2c = 1;
            } else if (ex_json_member_is(conv, "conversationID", conv_group)) {
                EX_CHECK(unread == 0, "%s: unreadCount %lld, want 0: %s", conv_group, unread,
                         conv);
                found_group = 1;
            }
        }
        if (ex_json_has(data, "\"isFinished\":true")) {
            free(json);
            break;
        }
        EX_CHECK(ex_data_string(json, "nextSeq", page_seq, sizeof page_seq) && page_seq[0] != '\0',
                 "no nextSeq in an unfinished page: %s", json);
        free(json);
    }
    EX_CHECK(found_c2c && found_group, "bob's list lacks c2c_alice (%d) or %s (%d)", found_c2c,
             conv_group, found_group);
    printf("5. unread:  %d conversation pages; c2c_alice: 2 unread of 3 texts, last message "
           "\"not counted\"; %s: 0; total 2\n",
           pages, conv_group);
}

int main(void)
{
    char text_id[128];

    group_id = ex_env("V2IM_GROUP_ID", "demo-group");
    ex_events_init(&alice_events, "alice");
    ex_events_init(&bob_events, "bob");
    alice = ex_client_new_with("alice", "\"receive\":true");
    bob = ex_client_new_with("bob", "\"receive\":true");
    /* The first listener opens each client's live channel. */
    ex_events_listen(alice, &alice_events);
    ex_events_listen(bob, &bob_events);
    ex_events_wait_connected(&alice_events);
    ex_events_wait_connected(&bob_events);
    printf("alice and bob connected (\"receive\": true)\n");

    step1_text(text_id, sizeof text_id);
    step2_typing(text_id);
    step3_group();
    step4_read_mark();
    step5_unread();

    /* 6. A receiving client's own sends come back on its channel but are not "received". */
    EX_CHECK(ex_events_count(&alice_events, 0, "onRecvNewMessage") == 0,
             "alice received %d of her own messages", ex_events_count(&alice_events, 0,
                                                                       "onRecvNewMessage"));
    printf("6. alice received none of her own sends; bob had %d events, alice %d\n",
           (int)ex_events_mark(&bob_events), (int)ex_events_mark(&alice_events));

    v2im_client_free(alice);
    v2im_client_free(bob);
    /* After v2im_client_free no callback runs: the recorders can go. */
    ex_events_destroy(&alice_events);
    ex_events_destroy(&bob_events);
    printf("receive: OK\n");
    return 0;
}
