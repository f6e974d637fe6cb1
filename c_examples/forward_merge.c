/*
 * forward_merge.c: forwarding one message and merging several into one.
 *
 *   createForwardMessage {msgID}: a copy of a *sent* message (status 2), to send anywhere.
 *       A message cannot be re-sent with sendMessage: forward it instead.
 *   createMergerMessage {msgIDList, title, abstractList, compatibleText}: a "chat history" card
 *       made of up to 300 sent messages. V2TIM keeps the first 5 abstracts, each cut to 100 bytes;
 *       compatibleText is what clients that cannot show merged messages display.
 *
 * Both are local methods (the callback runs before v2im_call returns). Forwarding or merging a
 * message that was not sent successfully fails with 6017 (invalid parameters).
 */
#include "example_util.h"

static const char *group_id;

/* Creates and sends a text to bob; returns its msgID in out. */
static void send_text(v2im_client *client, const char *text, char *out, size_t size)
{
    char params[512];
    char id[128];
    char *json;
    snprintf(params, sizeof params, "{\"text\":\"%s\"}", text);
    json = ex_call_ok(client, "createTextMessage", params);
    ex_created_id(json, id, sizeof id);
    free(json);
    snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\"}", id);
    json = ex_call_ok(client, "sendMessage", params);
    ex_msg_id(json, out, size);
    free(json);
}

/* Sends the created message `id` to bob or to the group; returns the result JSON. */
static char *send_created(v2im_client *client, const char *id, int to_group)
{
    char params[512];
    char *json;
    if (to_group) {
        snprintf(params, sizeof params, "{\"id\":\"%s\",\"groupID\":\"%s\"}", id, group_id);
    } else {
        snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\"}", id);
    }
    json = ex_call_ok(client, "sendMessage", params);
    EX_CHECK(ex_json_has(json, "\"status\":2"), "not sent: %s", json);
    EX_CHECK(ex_json_has(json, "\"isForwardMessage\":true"), "isForwardMessage not set: %s",
             json);
    return json;
}

int main(void)
{
    v2im_client *client;
    char m1[128];
    char m2[128];
    char m3[128];
    char id[128];
    char unsent_id[128];
    char new_msg_id[128];
    char merged_msg_id[128];
    char params[1024];
    char *json;
    int32_t code;

    group_id = ex_env("V2IM_GROUP_ID", "demo-group");
    client = ex_client_new("alice");

    send_text(client, "Flight CA1234 lands at 18:05", m1, sizeof m1);
    send_text(client, "Terminal 3, gate B", m2, sizeof m2);
    send_text(client, "I will wait at exit 4", m3, sizeof m3);
    printf("sent three messages: %s %s %s\n", m1, m2, m3);

    /* Forward the first one to bob and to the group. */
    snprintf(params, sizeof params, "{\"msgID\":\"%s\"}", m1);
    json = ex_call_ok(client, "createForwardMessage", params);
    EX_CHECK(ex_json_has(json, "\"isForwardMessage\":true"), "not a forward message: %s", json);
    EX_CHECK(ex_json_has(json, "Flight CA1234"), "forward message lost the text: %s", json);
    ex_created_id(json, id, sizeof id);
    free(json);
    json = send_created(client, id, 0);
    ex_msg_id(json, new_msg_id, sizeof new_msg_id);
    EX_CHECK(strcmp(new_msg_id, m1) != 0, "the forwarded copy has the original's msgID");
    printf("forwarded to bob:       msgID %s\n", new_msg_id);
    free(json);

    json = ex_call_ok(client, "createForwardMessage", params);
    ex_created_id(json, id, sizeof id);
    free(json);
    json = send_created(client, id, 1);
    ex_msg_id(json, new_msg_id, sizeof new_msg_id);
    printf("forwarded to %s: msgID %s\n", group_id, new_msg_id);
    free(json);

    /* Merge all three, to bob and to the group. */
    snprintf(params, sizeof params,
             "{\"msgIDList\":[\"%s\",\"%s\",\"%s\"],\"title\":\"Chat history of Alice\","
             "\"abstractList\":[\"alice: Flight CA1234 lands at 18:05\","
             "\"alice: Terminal 3, gate B\",\"alice: I will wait at exit 4\"],"
             "\"compatibleText\":\"[Chat history] Update your app to view it\"}",
             m1, m2, m3);
    json = ex_call_ok(client, "createMergerMessage", params);
    EX_CHECK(ex_json_has(json, "\"elemType\":10"), "not a merger message: %s", json);
    EX_CHECK(ex_json_has(json, "\"mergerElem\":{"), "no mergerElem: %s", json);
    EX_CHECK(ex_json_has(json, "Chat history of Alice"), "title lost: %s", json);
    ex_created_id(json, id, sizeof id);
    free(json);
    json = send_created(client, id, 0);
    EX_CHECK(ex_json_has(json, "\"elemType\":10"), "sent merger is not elemType 10: %s", json);
    ex_msg_id(json, merged_msg_id, sizeof merged_msg_id);
    EX_CHECK(strcmp(merged_msg_id, m1) != 0 && strcmp(merged_msg_id, m2) != 0 &&
                 strcmp(merged_msg_id, m3) != 0,
             "the merged message has the msgID of a merged one: %s", merged_msg_id);
    printf("merged, to bob:         msgID %s\n", merged_msg_id);
    free(json);

    json = ex_call_ok(client, "createMergerMessage", params);
    ex_created_id(json, id, sizeof id);
    free(json);
    json = send_created(client, id, 1);
    ex_msg_id(json, new_msg_id, sizeof new_msg_id);
    printf("merged, to %s:   msgID %s\n", group_id, new_msg_id);
    free(json);

    /* A message that was created but never sent can be neither forwarded nor merged: 6017. */
    json = ex_call_ok(client, "createTextMessage", "{\"text\":\"never sent\"}");
    ex_created_id(json, unsent_id, sizeof unsent_id);
    free(json);
    snprintf(params, sizeof params, "{\"msgID\":\"%s\"}", unsent_id);
    code = ex_call(client, "createForwardMessage", params, &json);
    EX_CHECK(code == V2IM_ERR_INVALID_PARAMETERS, "forwarding an unsent message: %d, want 6017: %s",
             (int)code, json);
    EX_CHECK(ex_json_has(json, "\"code\":6017"), "result code is not 6017: %s", json);
    printf("forward unsent message: %d (%s) as expected\n", (int)code, v2im_error_str(code));
    free(json);

    snprintf(params, sizeof params,
             "{\"msgIDList\":[\"%s\",\"%s\"],\"title\":\"t\",\"abstractList\":[\"a\"],"
             "\"compatibleText\":\"c\"}",
             m1, unsent_id);
    code = ex_call(client, "createMergerMessage", params, &json);
    EX_CHECK(code == V2IM_ERR_INVALID_PARAMETERS, "merging an unsent message: %d, want 6017: %s",
             (int)code, json);
    printf("merge with unsent:      %d (%s) as expected\n", (int)code, v2im_error_str(code));
    free(json);

    /* bob's conversation on the server holds the merged message, title included. */
    json = ex_call_ok(client, "getC2CHistoryMessageList", "{\"userID\":\"bob\",\"count\":20}");
    snprintf(params, sizeof params, "\"msgID\":\"%s\"", merged_msg_id);
    EX_CHECK(ex_json_has(json, params), "merged message %s not in the history: %s",
             merged_msg_id, json);
    EX_CHECK(ex_json_has(json, "Chat history of Alice"), "merger title not in the history");
    printf("history with bob: the merged message is there, with its title\n");
    free(json);

    v2im_client_free(client);
    printf("forward_merge: OK\n");
    return 0;
}
