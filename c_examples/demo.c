/*
 * demo.c: the README's demo. Real sends through the C ABI to a real v2im-server.
 *
 * alice creates a client, sends bob a text and a custom message, sends the group a message that
 * @-mentions bob, prints each result, prints her history with bob, and frees the client. bob runs
 * a second client with "receive": true and prints the text as he received it (onRecvNewMessage).
 *
 * Run it with `cmake --workflow --preset demo` (which starts v2im-server for it), or by hand:
 *   python3 c_examples/with_server.py --server target/debug/v2im-server -- build/demo
 */
#include "example_util.h"

static v2im_client *client;
static v2im_client *bob;
static ex_events bob_events;

static void banner(const char *title)
{
    printf("\n== %s ", title);
    {
        size_t n = strlen(title);
        for (; n < 72; n++) {
            putchar('=');
        }
    }
    printf("\n");
}

/* onRecvNewMessage data {"message": {...}}: the message with msgID `arg`. */
static int message_is(const char *data, const void *arg)
{
    return ex_json_member_is(ex_json_member(data, "message"), "msgID", (const char *)arg);
}

/* Creates a message, sends it with `target` (JSON members), prints the result; copies its
 * msgID to msg_id. */
static void create_and_send(const char *title, const char *method, const char *create_params,
                            const char *target, char *msg_id, size_t msg_id_size)
{
    char params[1024];
    char id[128];
    char *json;

    banner(title);
    json = ex_call_ok(client, method, create_params);
    ex_created_id(json, id, sizeof id);
    free(json);
    printf("%s %s\n  -> local id %s\n", method, create_params, id);

    snprintf(params, sizeof params, "{\"id\":\"%s\",%s}", id, target);
    printf("sendMessage %s\n", params);
    json = ex_call_ok(client, "sendMessage", params);
    EX_CHECK(ex_json_has(json, "\"status\":2"), "not sent: %s", json);
    ex_msg_id(json, msg_id, msg_id_size);
    printf("  -> sent, msgID %s. The result (null fields left out):\n", msg_id);
    ex_print_json(stdout, json, 1);
    free(json);
}

/* Prints one line per message of a history result: msgID, sender -> peer, kind, content. */
static void print_history(const char *json)
{
    const char *p = ex_json_member(json, "data");
    int n = 0;
    EX_CHECK(p != NULL && *p == '[', "history data is not an array: %s", json);
    p = ex_skip_ws(p + 1);
    while (*p == '{') {
        const char *end = ex_json_value_end(p);
        const char *type = ex_json_member(p, "elemType");
        char msg_id[128] = "";
        char sender[64] = "";
        char peer[64] = "";
        char content[256] = "";
        const char *kind = "other";
        ex_json_copy_string(ex_json_member(p, "msgID"), msg_id, sizeof msg_id);
        ex_json_copy_string(ex_json_member(p, "sender"), sender, sizeof sender);
        if (!ex_json_copy_string(ex_json_member(p, "groupID"), peer, sizeof peer)) {
            ex_json_copy_string(ex_json_member(p, "userID"), peer, sizeof peer);
        }
        if (type != NULL && strtol(type, NULL, 10) == 1) {
            kind = "text";
            ex_json_copy_string(ex_json_member(ex_json_member(p, "textElem"), "text"), content,
                                sizeof content);
        } else if (type != NULL && strtol(type, NULL, 10) == 2) {
            kind = "custom";
            ex_json_copy_string(ex_json_member(ex_json_member(p, "customElem"), "data"), content,
                                sizeof content);
        }
        printf("  %-34s %6s -> %-10s %-6s %s\n", msg_id, sender, peer, kind, content);
        n++;
        p = ex_skip_ws(end);
        if (*p == ',') {
            p = ex_skip_ws(p + 1);
        }
    }
    printf("  (%d message%s, newest first)\n", n, n == 1 ? "" : "s");
}

int main(void)
{
    char params[256];
    char msg_id[128];
    char *json;
    const char *received;
    const char *group_id = ex_env("V2IM_GROUP_ID", "demo-group");

    printf("v2im %s, server %s\n", v2im_version(), ex_env("V2IM_SERVER_URL", NULL));
    client = ex_client_new("alice");
    printf("client for alice created\n");
    /* bob receives: with "receive": true his first event listener opens the live channel. */
    ex_events_init(&bob_events, "bob");
    bob = ex_client_new_with("bob", "\"receive\":true");
    ex_events_listen(bob, &bob_events);
    ex_events_wait_connected(&bob_events);
    printf("client for bob created with \"receive\": true; his live channel is open\n");

    create_and_send("1. a text to bob", "createTextMessage",
                    "{\"text\":\"Hi Bob! Sent from C through libv2im.\"}",
                    "\"receiver\":\"bob\"", msg_id, sizeof msg_id);

    banner("2. bob receives it");
    received = EX_EXPECT_EVENT(&bob_events, 0, "onRecvNewMessage", message_is, msg_id,
                               "alice's text");
    printf("bob's onRecvNewMessage (null fields left out):\n");
    ex_print_json(stdout, ex_json_member(received, "data"), 1);
    EX_CHECK(ex_json_has(received, "Hi Bob! Sent from C through libv2im.") &&
                 ex_json_has(received, "\"isSelf\":false"),
             "not alice's text as received: %s", received);

    create_and_send("3. a custom message to bob", "createCustomMessage",
                    "{\"data\":\"{\\\"type\\\":\\\"gift\\\",\\\"item\\\":\\\"rose\\\"}\","
                    "\"desc\":\"Alice sent you a rose\",\"extension\":\"gift\"}",
                    "\"receiver\":\"bob\",\"priority\":1,\"cloudCustomData\":\"campaign-7\"",
                    msg_id, sizeof msg_id);

    snprintf(params, sizeof params, "\"groupID\":\"%s\",\"priority\":1", group_id);
    create_and_send("4. a group message with @bob", "createTextAtMessage",
                    "{\"text\":\"@bob the demo works!\",\"atUserList\":[\"bob\"]}", params, msg_id,
                    sizeof msg_id);

    banner("5. alice's history with bob");
    json = ex_call_ok(client, "getC2CHistoryMessageList", "{\"userID\":\"bob\",\"count\":10}");
    EX_CHECK(ex_json_count(json, "\"msgID\":") >= 2, "history lacks the two messages: %s", json);
    printf("getC2CHistoryMessageList {\"userID\":\"bob\",\"count\":10}:\n");
    print_history(json);
    free(json);

    banner("6. the group's history");
    snprintf(params, sizeof params, "{\"groupID\":\"%s\",\"count\":10}", group_id);
    json = ex_call_ok(client, "getGroupHistoryMessageList", params);
    EX_CHECK(ex_json_has(json, "the demo works"), "group history lacks the message: %s", json);
    printf("getGroupHistoryMessageList %s:\n", params);
    print_history(json);
    free(json);

    v2im_client_free(client);
    v2im_client_free(bob);
    ex_events_destroy(&bob_events); /* after v2im_client_free: no event comes any more */
    banner("done");
    printf("demo: 3 messages sent through the C ABI, one received by bob, history read back, "
           "clients freed.\n");
    return 0;
}
