/*
 * group.c: group messages with the v2im C API: @ mentions, targeted messages, priorities.
 *
 * The group (V2IM_GROUP_ID, "demo-group": alice, bob, carol, dave) is created by the runner
 * through the server's REST API, as an app back end would.
 *
 *   1. createTextAtMessage: a text that @-mentions bob and everyone (the @-all tag is
 *      "__kImSDK_MesssageAtALL__", spelled as Tencent spells it), sent with priority HIGH.
 *   2. createAtSignedGroupMessage: adds an @ list (carol) to a message already created,
 *      sent with priority NORMAL.
 *   3. createTargetedGroupMessage: a group message only dave receives, priority LOW.
 *   4. sendMessage with both `groupID` and `receiver`: the native V2TIM rule, a targeted group
 *      message to that one member (bob).
 *   5. getGroupHistoryMessageList: the @ messages come back with their msgIDs.
 *
 * sendMessage rules: `receiver` only = one-to-one; `groupID` only = group; both = targeted to that
 * member; neither = error 6017. `priority` takes V2TIM's numbers: DEFAULT 0, HIGH 1, NORMAL 2,
 * LOW 3 (HIGH for gifts and red packets, LOW for likes; under load the server drops LOW first).
 */
#include "example_util.h"

#define PRIORITY_HIGH 1
#define PRIORITY_NORMAL 2
#define PRIORITY_LOW 3

static const char *group_id;

/* Sends message `id` to the group with `extra` JSON members (may be ""); returns the result. */
static char *send_to_group(v2im_client *client, const char *id, int priority, const char *extra)
{
    char params[512];
    char fragment[64];
    char *json;
    snprintf(params, sizeof params, "{\"id\":\"%s\",\"groupID\":\"%s\",\"priority\":%d%s}", id,
             group_id, priority, extra);
    json = ex_call_ok(client, "sendMessage", params);
    EX_CHECK(ex_json_has(json, "\"status\":2"), "not sent: %s", json);
    snprintf(fragment, sizeof fragment, "\"groupID\":\"%s\"", group_id);
    EX_CHECK(ex_json_has(json, fragment), "groupID missing: %s", json);
    snprintf(fragment, sizeof fragment, "\"priority\":%d", priority);
    EX_CHECK(ex_json_has(json, fragment), "priority %d not in the result: %s", priority, json);
    return json;
}

int main(void)
{
    v2im_client *client;
    char params[512];
    char id[128];
    char at_id[128];
    char msg_at_all[128];
    char msg_at_signed[128];
    char msg_targeted[128];
    char msg_to_bob[128];
    char fragment[256];
    char *json;

    group_id = ex_env("V2IM_GROUP_ID", "demo-group");
    client = ex_client_new("alice");

    /* 1. @bob and @all, HIGH. */
    ex_create(client, "createTextAtMessage",
           "{\"text\":\"@bob @all standup in 5 minutes\","
           "\"atUserList\":[\"bob\",\"__kImSDK_MesssageAtALL__\"]}",
           id, sizeof id);
    json = send_to_group(client, id, PRIORITY_HIGH, "");
    EX_CHECK(ex_json_has(json, "\"groupAtUserList\":["), "no groupAtUserList: %s", json);
    EX_CHECK(ex_json_has(json, "__kImSDK_MesssageAtALL__"), "no @all tag: %s", json);
    ex_msg_id(json, msg_at_all, sizeof msg_at_all);
    printf("@bob @all (HIGH):           msgID %s\n", msg_at_all);
    free(json);

    /* 2. A plain text, then createAtSignedGroupMessage adds the @ list; NORMAL. */
    ex_create(client, "createTextMessage", "{\"text\":\"carol, can you take notes?\"}", id,
           sizeof id);
    snprintf(params, sizeof params, "{\"id\":\"%s\",\"atUserList\":[\"carol\"]}", id);
    ex_create(client, "createAtSignedGroupMessage", params, at_id, sizeof at_id);
    json = send_to_group(client, at_id, PRIORITY_NORMAL, "");
    EX_CHECK(ex_json_has(json, "\"carol\""), "carol not in the @ list: %s", json);
    ex_msg_id(json, msg_at_signed, sizeof msg_at_signed);
    printf("@carol signed (NORMAL):     msgID %s\n", msg_at_signed);
    free(json);

    /* 3. A targeted group message only dave receives; LOW. */
    ex_create(client, "createTextMessage", "{\"text\":\"dave: your badge is at the desk\"}", id,
           sizeof id);
    snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiverList\":[\"dave\"]}", id);
    ex_create(client, "createTargetedGroupMessage", params, at_id, sizeof at_id);
    json = send_to_group(client, at_id, PRIORITY_LOW, "");
    EX_CHECK(ex_json_has(json, "\"targetGroupMemberList\":[\"dave\"]"),
             "targetGroupMemberList is not [dave]: %s", json);
    ex_msg_id(json, msg_targeted, sizeof msg_targeted);
    printf("targeted to dave (LOW):     msgID %s\n", msg_targeted);
    free(json);

    /* 4. groupID and receiver together: targeted to that one member. */
    ex_create(client, "createTextMessage", "{\"text\":\"bob, just for you\"}", id, sizeof id);
    json = send_to_group(client, id, PRIORITY_NORMAL, ",\"receiver\":\"bob\"");
    EX_CHECK(ex_json_has(json, "\"targetGroupMemberList\":[\"bob\"]"),
             "targetGroupMemberList is not [bob]: %s", json);
    ex_msg_id(json, msg_to_bob, sizeof msg_to_bob);
    printf("groupID+receiver=bob:       msgID %s\n", msg_to_bob);
    free(json);

    /* 5. The group's history, from the server. */
    snprintf(params, sizeof params, "{\"groupID\":\"%s\",\"count\":20}", group_id);
    json = ex_call_ok(client, "getGroupHistoryMessageList", params);
    snprintf(fragment, sizeof fragment, "\"msgID\":\"%s\"", msg_at_all);
    EX_CHECK(ex_json_has(json, fragment), "msgID %s not in the group history: %s", msg_at_all,
             json);
    snprintf(fragment, sizeof fragment, "\"msgID\":\"%s\"", msg_at_signed);
    EX_CHECK(ex_json_has(json, fragment), "msgID %s not in the group history: %s",
             msg_at_signed, json);
    EX_CHECK(ex_json_has(json, "standup in 5 minutes"), "text not in the group history");
    printf("getGroupHistoryMessageList: %d message(s) in %s\n",
           ex_json_count(json, "\"msgID\":"), group_id);
    free(json);

    v2im_client_free(client);
    printf("group: OK\n");
    return 0;
}
