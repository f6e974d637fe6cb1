/*
 * demo.c: the README's demo. Real sends through the C ABI to a real v2im-server.
 *
 * alice creates a client, sends bob a text and a custom message, sends the group a message that
 * @-mentions bob, prints each result, prints her history with bob, and frees the client.
 *
 * Run it with `cmake --workflow --preset demo` (which starts v2im-server for it), or by hand:
 *   python3 c_examples/with_server.py --server target/debug/v2im-server -- build/demo
 */
#include "example_util.h"

static v2im_client *client;

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

/* Creates a message, sends it with `target` (JSON members), prints the result. */
static void create_and_send(const char *title, const char *method, const char *create_params,
                            const char *target)
{
    char params[1024];
    char id[128];
    char msg_id[128];
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
    ex_msg_id(json, msg_id, sizeof msg_id);
    printf("  -> sent, msgID %s. The result (null fields left out):\n", msg_id);
    ex_print_json(stdout, json, 1);
    free(json);
}

int main(void)
{
    char params[256];
    char *json;
    const char *group_id = ex_env("V2IM_GROUP_ID", "demo-group");

    printf("v2im %s, server %s\n", v2im_version(), ex_env("V2IM_SERVER_URL", NULL));
    client = ex_client_new("alice");
    printf("client for alice created\n");

    create_and_send("1. a text to bob", "createTextMessage",
                    "{\"text\":\"Hi Bob! Sent from C through libv2im.\"}",
                    "\"receiver\":\"bob\"");

    create_and_send("2. a custom message to bob", "createCustomMessage",
                    "{\"data\":\"{\\\"type\\\":\\\"gift\\\",\\\"item\\\":\\\"rose\\\"}\","
                    "\"desc\":\"Alice sent you a rose\",\"extension\":\"gift\"}",
                    "\"receiver\":\"bob\",\"priority\":1,\"cloudCustomData\":\"campaign-7\"");

    snprintf(params, sizeof params, "\"groupID\":\"%s\",\"priority\":1", group_id);
    create_and_send("3. a group message with @bob", "createTextAtMessage",
                    "{\"text\":\"@bob the demo works!\",\"atUserList\":[\"bob\"]}", params);

    banner("4. alice's history with bob");
    json = ex_call_ok(client, "getC2CHistoryMessageList", "{\"userID\":\"bob\",\"count\":10}");
    EX_CHECK(ex_json_count(json, "\"msgID\":") >= 2, "history lacks the two messages: %s", json);
    printf("getC2CHistoryMessageList {\"userID\":\"bob\",\"count\":10} (null fields left out):\n");
    ex_print_json(stdout, json, 1);
    free(json);

    banner("5. the group's history");
    snprintf(params, sizeof params, "{\"groupID\":\"%s\",\"count\":10}", group_id);
    json = ex_call_ok(client, "getGroupHistoryMessageList", params);
    EX_CHECK(ex_json_has(json, "the demo works"), "group history lacks the message: %s", json);
    printf("getGroupHistoryMessageList %s: %d message(s), ours among them\n", params,
           ex_json_count(json, "\"msgID\":"));
    free(json);

    v2im_client_free(client);
    banner("done");
    printf("demo: 3 messages sent through the C ABI, history read back, client freed.\n");
    return 0;
}
