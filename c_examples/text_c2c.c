/*
 * text_c2c.c: a one-to-one text message with the v2im C API.
 *
 * alice sends "Hello Bob" to bob, prints the V2TimMessage the server confirmed, then reads the
 * conversation back with getC2CHistoryMessageList and checks that the msgID is there. An event
 * listener watches the message go from status 1 (sending) to 2 (sent).
 *
 * The API in four lines:
 *   v2im_client_new(config_json, &client, cb, user_data)     make a client
 *   v2im_call(client, "method", params_json, cb, user_data)  everything else, JSON in
 *   cb(user_data, code, result_json)                         JSON out: {"code","desc","data"}
 *   v2im_client_free(client)                                 cancel what is pending, join, free
 *
 * Run it through ctest, or: python3 c_examples/with_server.py --server target/debug/v2im-server
 *                               -- build/text_c2c
 */
#include "example_util.h"

/* What the event listener saw. Events run on the client's callback thread. */
typedef struct events {
    ex_counter sent;          /* onMessageStatusChanged with status 2 */
    ex_counter progress_100;  /* onSendMessageProgress with progress 100 */
    ex_counter total;         /* every event */
    ex_counter freed;         /* free_user_data calls: must end at exactly 1 */
} events;

static long event_number(const char *event_json, const char *key)
{
    const char *v = ex_json_member(ex_json_member(event_json, "data"), key);
    return v != NULL ? strtol(v, NULL, 10) : -1;
}

/* A v2im_event_callback: {"event": name, "data": {...}}, valid only during the call. */
static void on_event(void *user_data, const char *event_json)
{
    events *ev = (events *)user_data;
    char name[64] = "";
    ex_json_copy_string(ex_json_member(event_json, "event"), name, sizeof name);
    if (strcmp(name, "onMessageStatusChanged") == 0 && event_number(event_json, "status") == 2) {
        ex_counter_add(&ev->sent, 1);
    } else if (strcmp(name, "onSendMessageProgress") == 0 &&
               event_number(event_json, "progress") == 100) {
        ex_counter_add(&ev->progress_100, 1);
    }
    ex_counter_add(&ev->total, 1);
}

/* A v2im_free_fn: runs once, after the listener's last event (here: in v2im_client_free). */
static void on_listener_freed(void *user_data)
{
    ex_counter_add(&((events *)user_data)->freed, 1);
}

int main(void)
{
    v2im_client *client;
    ex_result r;
    char params[512];
    char id[128];
    char msg_id[128];
    char fragment[256];
    char *sent;
    char *history;
    int32_t rc;
    events ev;

    ex_counter_init(&ev.sent);
    ex_counter_init(&ev.progress_100);
    ex_counter_init(&ev.total);
    ex_counter_init(&ev.freed);

    printf("v2im %s\n", v2im_version());
    client = ex_client_new("alice");

    /* 0. Listen to events. `ev` must outlive the listener: until on_listener_freed has run. */
    rc = v2im_set_event_callback(client, on_event, &ev, on_listener_freed);
    EX_CHECK(rc == 0, "v2im_set_event_callback: %d (%s)", (int)rc, v2im_error_str(rc));

    /*
     * 1. Create the message. createXxxMessage is a *local* method: v2im runs the callback on
     *    this thread, before v2im_call returns (rule 3). The result is
     *    {"code":0,"desc":"","data":{"id":"...","messageInfo":{...V2TimMessage...}}}; `id` is
     *    the handle to pass to sendMessage.
     */
    ex_result_init(&r);
    rc = v2im_call(client, "createTextMessage", "{\"text\":\"Hello Bob, this is Alice (C99)\"}",
                   ex_result_cb, &r);
    EX_CHECK(rc == 0, "createTextMessage refused: %d (%s)", (int)rc, v2im_error_str(rc));
    EX_CHECK(r.calls == 1, "a local method must have called back before returning (calls=%d)",
             r.calls);
    EX_CHECK(pthread_equal(r.thread, pthread_self()), "local callback ran on another thread");
    EX_CHECK(r.code == 0, "createTextMessage failed: %d %s", (int)r.code, r.json);
    ex_created_id(r.json, id, sizeof id);
    ex_result_destroy(&r);

    /*
     * 2. Send it. sendMessage is a *network* method: v2im_call returns 0 at once ("taken"), and
     *    the callback runs later, exactly once, on the client's callback thread, never on the
     *    caller's (rule 3), even for an immediate failure. "@extra" comes back unchanged in the
     *    result, which helps match results to requests.
     */
    snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\",\"@extra\":\"c2c-1\"}",
             id);
    ex_result_init(&r);
    rc = v2im_call(client, "sendMessage", params, ex_result_cb, &r);
    EX_CHECK(rc == 0, "sendMessage refused: %d (%s)", (int)rc, v2im_error_str(rc));
    EX_CHECK(ex_result_wait(&r, EX_WAIT_SECONDS) == 0, "sendMessage: no callback");
    EX_CHECK(!pthread_equal(r.thread, pthread_self()),
             "a network callback must not run on the calling thread");
    EX_CHECK(r.code == 0, "sendMessage failed: %d (%s): %s", (int)r.code,
             v2im_error_str(r.code), r.json);
    sent = r.json; /* take ownership of the copy */
    r.json = NULL;
    ex_result_destroy(&r);

    printf("sendMessage result:\n");
    ex_print_json(stdout, sent, 0);

    /* The result is V2TIM's returned template: code, desc, data = the V2TimMessage, status 2 (sent). */
    EX_CHECK(ex_json_has(sent, "\"code\":0"), "no \"code\":0");
    EX_CHECK(ex_json_has(sent, "\"status\":2"), "status is not 2 (sent)");
    EX_CHECK(ex_json_has(sent, "\"@extra\":\"c2c-1\""), "@extra not echoed");
    EX_CHECK(ex_json_has(sent, "\"userID\":\"bob\""), "userID is not bob");
    EX_CHECK(ex_json_has(sent, "\"sender\":\"alice\""), "sender is not alice");
    EX_CHECK(ex_json_has(sent, "\"isSelf\":true"), "isSelf is not true");
    snprintf(fragment, sizeof fragment, "\"id\":\"%s\"", id);
    EX_CHECK(ex_json_has(sent, fragment), "the result does not carry the message's id %s", id);
    ex_msg_id(sent, msg_id, sizeof msg_id);
    printf("sent: id %s, msgID %s\n", id, msg_id);

    /* 3. Read the conversation back from the server; the same msgID comes back. */
    history = ex_call_ok(client, "getC2CHistoryMessageList", "{\"userID\":\"bob\",\"count\":20}");
    snprintf(fragment, sizeof fragment, "\"msgID\":\"%s\"", msg_id);
    EX_CHECK(ex_json_has(history, fragment), "msgID %s not in the history: %s", msg_id, history);
    EX_CHECK(ex_json_has(history, "Hello Bob, this is Alice (C99)"), "text not in the history");
    printf("getC2CHistoryMessageList: %d message(s) with bob, msgID %s found\n",
           ex_json_count(history, "\"msgID\":"), msg_id);

    /* The listener saw the message sent (the event may trail the result a little). */
    EX_CHECK(ex_counter_wait(&ev.sent, 1, EX_WAIT_SECONDS) == 0,
             "no onMessageStatusChanged event with status 2");
    EX_CHECK(ex_counter_wait(&ev.progress_100, 1, EX_WAIT_SECONDS) == 0,
             "no onSendMessageProgress event with progress 100");
    printf("events: %ld received, among them status 2 (sent) and progress 100\n",
           ex_counter_get(&ev.total));

    free(sent);
    free(history);
    /* Cancels whatever is still pending (nothing here), runs the listener's free_user_data,
     * joins the client's threads, frees it. After it returns no callback runs again. */
    v2im_client_free(client);
    EX_CHECK(ex_counter_get(&ev.freed) == 1, "free_user_data ran %ld times, want 1",
             ex_counter_get(&ev.freed));
    ex_counter_destroy(&ev.sent);
    ex_counter_destroy(&ev.progress_100);
    ex_counter_destroy(&ev.total);
    ex_counter_destroy(&ev.freed);
    printf("text_c2c: OK\n");
    return 0;
}
