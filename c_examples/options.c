/*
 * options.c: custom, location and face messages, and every option of sendMessage.
 *
 * Each option of sendMessage is sent once and its effect checked in the result
 * (and, where the server shows it, in the history):
 *   onlineUserOnly             delivered to online users only, never stored: not in the history
 *   offlinePushInfo            title/desc shown by an offline push
 *   needReadReceipt            (group) the sender wants read receipts
 *   isExcludedFromUnreadCount  does not raise the receiver's unread count
 *   isExcludedFromLastMessage  does not become the conversation's last message
 *   isSupportMessageExtension  the message may carry extensions
 *   cloudCustomData            extra data stored on the server, visible to the receiver
 *   localCustomData            extra data kept only in this process (never sent): findMessages
 *                              shows it, setLocalCustomData changes it
 */
#include "example_util.h"

static const char *group_id;

/* Sends `id` to bob (or to the group when to_group) with the extra members `options`. */
static char *send_with(v2im_client *client, const char *id, int to_group, const char *options)
{
    char params[1024];
    char *json;
    if (to_group) {
        snprintf(params, sizeof params, "{\"id\":\"%s\",\"groupID\":\"%s\",%s}", id, group_id,
                 options);
    } else {
        snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\",%s}", id, options);
    }
    json = ex_call_ok(client, "sendMessage", params);
    EX_CHECK(ex_json_has(json, "\"status\":2"), "not sent: %s", json);
    return json;
}

static void expect(const char *json, const char *fragment, const char *what)
{
    EX_CHECK(ex_json_has(json, fragment), "%s: %s not in %s", what, fragment, json);
    printf("  %-28s ok (%s)\n", what, fragment);
}

int main(void)
{
    v2im_client *client;
    char custom_id[128];
    char location_id[128];
    char face_id[128];
    char id[128];
    char online_msg_id[128] = "";
    char cloud_msg_id[128];
    char local_msg_id[128];
    char params[512];
    char fragment[256];
    char *json;
    char *history;

    group_id = ex_env("V2IM_GROUP_ID", "demo-group");
    client = ex_client_new("alice");

    /* The three element kinds. JSON inside `data` is just a string: escape its quotes. */
    ex_create(client, "createCustomMessage",
           "{\"data\":\"{\\\"kind\\\":\\\"gift\\\",\\\"count\\\":3}\","
           "\"desc\":\"a gift\",\"extension\":\"gift-ext\"}",
           custom_id, sizeof custom_id);
    ex_create(client, "createLocationMessage",
           "{\"desc\":\"Tencent Binhai Towers\",\"longitude\":113.9345,\"latitude\":22.5228}",
           location_id, sizeof location_id);
    ex_create(client, "createFaceMessage", "{\"index\":4,\"data\":\"[smile]\"}", face_id,
           sizeof face_id);

    printf("element kinds:\n");
    json = send_with(client, custom_id, 0, "\"cloudCustomData\":\"order-42\"");
    expect(json, "\"elemType\":2", "custom (elemType 2)");
    expect(json, "\"customElem\":{", "customElem");
    expect(json, "gift-ext", "customElem.extension");
    expect(json, "\"cloudCustomData\":\"order-42\"", "cloudCustomData");
    ex_msg_id(json, cloud_msg_id, sizeof cloud_msg_id);
    free(json);

    json = send_with(client, location_id, 0, "\"isExcludedFromUnreadCount\":true");
    expect(json, "\"elemType\":7", "location (elemType 7)");
    expect(json, "Tencent Binhai Towers", "locationElem.desc");
    expect(json, "\"isExcludedFromUnreadCount\":true", "isExcludedFromUnreadCount");
    free(json);

    json = send_with(client, face_id, 0, "\"isExcludedFromLastMessage\":true");
    expect(json, "\"elemType\":8", "face (elemType 8)");
    expect(json, "[smile]", "faceElem.data");
    expect(json, "\"isExcludedFromLastMessage\":true", "isExcludedFromLastMessage");
    free(json);

    printf("sendMessage options:\n");
    /* onlineUserOnly: bob is not online, and the message is not stored. */
    ex_create(client, "createCustomMessage", "{\"data\":\"typing\"}", id, sizeof id);
    json = send_with(client, id, 0, "\"onlineUserOnly\":true");
    expect(json, "\"code\":0", "onlineUserOnly");
    if (!ex_data_string(json, "msgID", online_msg_id, sizeof online_msg_id)) {
        online_msg_id[0] = '\0';
    }
    free(json);

    ex_create(client, "createTextMessage", "{\"text\":\"You have a new order\"}", id, sizeof id);
    json = send_with(client, id, 0,
                     "\"offlinePushInfo\":{\"title\":\"Shop\",\"desc\":\"You have a new order\","
                     "\"disablePush\":false}");
    expect(json, "\"offlinePushInfo\":{", "offlinePushInfo");
    expect(json, "\"title\":\"Shop\"", "offlinePushInfo.title");
    free(json);

    ex_create(client, "createTextMessage", "{\"text\":\"please ack\"}", id, sizeof id);
    json = send_with(client, id, 1, "\"needReadReceipt\":true");
    expect(json, "\"needReadReceipt\":true", "needReadReceipt (group)");
    free(json);

    ex_create(client, "createTextMessage", "{\"text\":\"react to me\"}", id, sizeof id);
    json = send_with(client, id, 1, "\"isSupportMessageExtension\":true");
    expect(json, "\"code\":0", "isSupportMessageExtension");
    free(json);

    /* localCustomData: in the result and in findMessages, never on the wire. */
    ex_create(client, "createTextMessage", "{\"text\":\"with a local note\"}", id, sizeof id);
    json = send_with(client, id, 0, "\"localCustomData\":\"draft-7\"");
    expect(json, "\"localCustomData\":\"draft-7\"", "localCustomData");
    ex_msg_id(json, local_msg_id, sizeof local_msg_id);
    free(json);

    snprintf(params, sizeof params, "{\"messageIDList\":[\"%s\"]}", local_msg_id);
    json = ex_call_ok(client, "findMessages", params);
    expect(json, "\"localCustomData\":\"draft-7\"", "findMessages (before)");
    free(json);

    snprintf(params, sizeof params, "{\"msgID\":\"%s\",\"localCustomData\":\"seen-by-alice\"}",
             local_msg_id);
    free(ex_call_ok(client, "setLocalCustomData", params));
    snprintf(params, sizeof params, "{\"messageIDList\":[\"%s\"]}", local_msg_id);
    json = ex_call_ok(client, "findMessages", params);
    expect(json, "\"localCustomData\":\"seen-by-alice\"", "findMessages (after set)");
    free(json);

    /* What the server kept. */
    printf("history with bob:\n");
    history = ex_call_ok(client, "getC2CHistoryMessageList", "{\"userID\":\"bob\",\"count\":50}");
    snprintf(fragment, sizeof fragment, "\"msgID\":\"%s\"", cloud_msg_id);
    expect(history, fragment, "custom message stored");
    expect(history, "\"cloudCustomData\":\"order-42\"", "cloudCustomData stored");
    if (online_msg_id[0] != '\0') {
        snprintf(fragment, sizeof fragment, "\"msgID\":\"%s\"", online_msg_id);
        EX_CHECK(!ex_json_has(history, fragment),
                 "the onlineUserOnly message %s is in the history", online_msg_id);
        printf("  %-28s ok (not stored)\n", "onlineUserOnly");
    }
    EX_CHECK(!ex_json_has(history, "\"data\":\"typing\""),
             "the onlineUserOnly message is in the history");
    free(history);

    v2im_client_free(client);
    printf("options: OK\n");
    return 0;
}
