/*
 * errors.c: every way a v2im call can fail, and how each failure is reported.
 *
 * Two channels (rule 2 of v2im.h):
 *   - v2im_call returns non-zero, and the callback NEVER runs, only when the request cannot be
 *     read at all: NULL client or method, params that are not UTF-8, not JSON, or not a JSON
 *     object, an unknown method. The caller keeps everything it passed.
 *   - Everything else (a missing field, an unknown message id, a limit, a network or server
 *     error) is accepted (return 0) and arrives through the callback, exactly once, as
 *     {"code": N, "desc": "...", "data": ...}.
 *   Refusals: 6017 for NULL client or method, 6027 for params that are not UTF-8 or not a JSON
 *   object, V2IM_ERR_UNKNOWN_METHOD; NULL params count as {}.
 * v2im_client_new reports a bad config key both ways: it returns 6017 and runs its optional
 * callback synchronously with a desc that names the key; *out_client is left untouched. A NULL
 * argument (6017) or a config that is not a JSON object (6027) is only returned.
 * v2im_error_str(code) is a static text for any code, never NULL; do not free it.
 *
 * Reentrancy (rule 4): a callback may call v2im_call, local and network methods alike. Calling
 * v2im_client_free from a client's own callback is a misuse: it returns at once without freeing
 * (it would have to join its own thread) and reports it as an onLog event at level "error".
 */
#include "example_util.h"

static ex_counter never;      /* callbacks that must never run */
static ex_counter log_errors; /* onLog events at level "error" */

static void on_event(void *user_data, const char *event_json)
{
    char name[32] = "";
    char level[32] = "";
    (void)user_data;
    ex_json_copy_string(ex_json_member(event_json, "event"), name, sizeof name);
    ex_json_copy_string(ex_json_member(ex_json_member(event_json, "data"), "level"), level,
                        sizeof level);
    if (strcmp(name, "onLog") == 0 && strcmp(level, "error") == 0) {
        ex_counter_add(&log_errors, 1);
    }
}

/* State of the reentrancy check: what the sendMessage callback did. */
typedef struct reentry {
    v2im_client *client;
    int32_t create_rc;  /* v2im_call(createTextMessage) from the callback */
    ex_result created;  /* ... completes right there, on the callback thread */
    int32_t send_rc;    /* v2im_call(sendMessage) from the callback */
    ex_result sent;     /* ... completes later, on the callback thread */
    ex_result outer;    /* the callback's own result */
} reentry;

static void on_sent_reenter(void *user_data, int32_t code, const char *result_json)
{
    reentry *r = (reentry *)user_data;
    char params[256];
    char id[128];
    /* Allowed: a local method from a callback completes before v2im_call returns. */
    r->create_rc = v2im_call(r->client, "createTextMessage", "{\"text\":\"from a callback\"}",
                             ex_result_cb, &r->created);
    if (r->create_rc == 0 && r->created.code == 0) {
        ex_created_id(r->created.json, id, sizeof id);
        /* Allowed: a network method from a callback is queued; its callback runs later. */
        snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\"}", id);
        r->send_rc = v2im_call(r->client, "sendMessage", params, ex_result_cb, &r->sent);
    }
    /* Misuse: returns at once, frees nothing, logs an error. */
    v2im_client_free(r->client);
    ex_result_cb(&r->outer, code, result_json);
}

/* A call that must be refused: non-zero return, and its callback never runs. */
static void refused(const char *what, v2im_client *client, const char *method,
                    const char *params, int32_t want)
{
    long before = ex_counter_get(&never);
    int32_t rc = v2im_call(client, method, params, ex_count_cb, &never);
    EX_CHECK(rc == want, "%s: v2im_call returned %d, want %d", what, (int)rc, (int)want);
    EX_CHECK(ex_counter_get(&never) == before, "%s: the callback ran for a refused call", what);
    EX_CHECK(v2im_error_str(rc) != NULL, "%s: v2im_error_str(%d) is NULL", what, (int)rc);
    printf("  %-38s -> %6d  %s\n", what, (int)rc, v2im_error_str(rc));
}

/* A call that is accepted and must fail through its callback with `want`. */
static void fails_with(const char *what, v2im_client *client, const char *method,
                       const char *params, int32_t want, const char *must_have)
{
    char *json = NULL;
    char fragment[64];
    char desc[256];
    int32_t code = ex_call(client, method, params, &json);
    EX_CHECK(code == want, "%s: callback code %d, want %d: %s", what, (int)code, (int)want,
             json);
    snprintf(fragment, sizeof fragment, "\"code\":%d", (int)want);
    EX_CHECK(ex_json_has(json, fragment), "%s: result lacks %s: %s", what, fragment, json);
    EX_CHECK(ex_json_has(json, "\"desc\":\""), "%s: result lacks desc: %s", what, json);
    EX_CHECK(must_have == NULL || ex_json_has(json, must_have), "%s: result lacks %s: %s", what,
             must_have, json);
    printf("  %-38s -> %6d  %s\n", what, (int)code, ex_desc(json, desc, sizeof desc));
    free(json);
}

/* A config v2im_client_new must refuse with 6017 and a desc naming `key`. */
static void bad_config(const char *what, const char *config, const char *key)
{
    v2im_client *sentinel = (v2im_client *)&never; /* any non-NULL value */
    v2im_client *client = sentinel;
    ex_result r;
    char desc[256];
    int32_t rc;
    ex_result_init(&r);
    rc = v2im_client_new(config, &client, ex_result_cb, &r);
    EX_CHECK(rc == V2IM_ERR_INVALID_PARAMETERS, "%s: v2im_client_new returned %d, want 6017", what,
             (int)rc);
    EX_CHECK(client == sentinel, "%s: *out_client was written on failure", what);
    EX_CHECK(r.calls == 1, "%s: the callback ran %d times, want once (synchronously)", what,
             r.calls);
    EX_CHECK(r.code == rc, "%s: callback code %d != return %d", what, (int)r.code, (int)rc);
    EX_CHECK(ex_json_has(r.json, key), "%s: desc does not name %s: %s", what, key, r.json);
    printf("  %-38s -> %6d  %s\n", what, (int)rc, ex_desc(r.json, desc, sizeof desc));
    ex_result_destroy(&r);
}

int main(void)
{
    /* Every code of the header (V2IM_ macros, generated from the library's code table), server codes, and
     * values no one defines: v2im_error_str has a text for each. */
    static const int32_t codes[] = {
        V2IM_OK,
        V2IM_ERR_FILE_TRANS_AUTH_FAILED,
        V2IM_ERR_FILE_TRANS_NO_SERVER,
        V2IM_ERR_FILE_TRANS_UPLOAD_FAILED,
        V2IM_ERR_REQUEST_TIME_OUT,
        V2IM_ERR_INVALID_PARAMETERS,
        V2IM_ERR_IO_OPERATION_FAILED,
        V2IM_ERR_INVALID_JSON,
        V2IM_ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE,
        V2IM_ERR_FILE_NOT_FOUND,
        V2IM_ERR_FILE_TOO_LARGE,
        V2IM_ERR_FILE_SIZE_EMPTY,
        V2IM_ERR_FILE_OPEN_FAILED,
        V2IM_ERR_SDK_MSG_BODY_SIZE_LIMIT,
        V2IM_ERR_MERGER_MSG_LAYERS_OVER_LIMIT,
        V2IM_ERR_SDK_INVALID_CANCEL_MESSAGE,
        V2IM_ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL,
        V2IM_ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT,
        V2IM_ERR_UNKNOWN_METHOD,
        V2IM_ERR_SHUTTING_DOWN,
        V2IM_ERR_QUEUE_FULL,
        V2IM_ERR_PANIC,
        V2IM_ERR_POISONED,
        V2IM_ERR_WOULD_DEADLOCK,
        V2IM_ERR_HTTP_STATUS,
        V2IM_ERR_BAD_RESPONSE,
        V2IM_ERR_NETWORK,
        V2IM_ERR_DATA_DIR_IN_USE,
        V2IM_ERR_NOT_RESUMED,
        20003, 70001, 80002, 90001, 93000, 10010, /* server codes */
        -1, 1, 99999, 100000, 100999, INT32_MIN, INT32_MAX,
    };
    v2im_client *client;
    v2im_client *out;
    char config[1024];
    char params[512];
    char id[128];
    char fragment[160];
    char *big_text;
    char *big_params;
    char *json;
    int32_t rc;
    size_t i;

    ex_counter_init(&never);
    ex_counter_init(&log_errors);
    client = ex_client_new("alice");
    rc = v2im_set_event_callback(client, on_event, NULL, NULL);
    EX_CHECK(rc == 0, "v2im_set_event_callback: %d", (int)rc);

    printf("refused by v2im_call (non-zero return, no callback):\n");
    refused("NULL client", NULL, "createTextMessage", "{\"text\":\"x\"}",
            V2IM_ERR_INVALID_PARAMETERS);
    refused("NULL method", client, NULL, "{\"text\":\"x\"}", V2IM_ERR_INVALID_PARAMETERS);
    refused("method not UTF-8", client, "create\xc3\x28", "{}", V2IM_ERR_INVALID_PARAMETERS);
    refused("params not UTF-8", client, "createTextMessage", "{\"text\":\"\xff\xfe\"}",
            V2IM_ERR_INVALID_JSON);
    refused("params not JSON", client, "createTextMessage", "{\"text\":", V2IM_ERR_INVALID_JSON);
    refused("params a JSON array", client, "createTextMessage", "[\"text\"]",
            V2IM_ERR_INVALID_JSON);
    refused("params a JSON string", client, "createTextMessage", "\"text\"",
            V2IM_ERR_INVALID_JSON);
    refused("unknown method", client, "sendMesage", "{\"id\":\"x\"}", V2IM_ERR_UNKNOWN_METHOD);

    printf("refused by v2im_client_new:\n");
    ex_config(config, sizeof config, "alice");
    rc = v2im_client_new(config, NULL, ex_count_cb, &never);
    EX_CHECK(rc == V2IM_ERR_INVALID_PARAMETERS, "v2im_client_new with a NULL out pointer: %d",
             (int)rc);
    printf("  %-38s -> %6d  %s\n", "NULL out pointer", (int)rc, v2im_error_str(rc));
    out = NULL;
    rc = v2im_client_new(NULL, &out, ex_count_cb, &never);
    EX_CHECK(rc == V2IM_ERR_INVALID_PARAMETERS && out == NULL,
             "v2im_client_new(NULL config) returned %d", (int)rc);
    printf("  %-38s -> %6d  %s\n", "NULL config", (int)rc, v2im_error_str(rc));
    rc = v2im_client_new("[1,2]", &out, ex_count_cb, &never);
    EX_CHECK(rc == V2IM_ERR_INVALID_JSON && out == NULL, "config a JSON array: %d", (int)rc);
    printf("  %-38s -> %6d  %s\n", "config a JSON array", (int)rc, v2im_error_str(rc));
    bad_config("config without userID",
               "{\"sdkAppID\":1400000000,\"secretKey\":\"k\",\"serverUrl\":\"http://127.0.0.1:1\"}",
               "userID");
    bad_config("config with sdkAppID a string",
               "{\"sdkAppID\":\"abc\",\"userID\":\"alice\",\"secretKey\":\"k\"}", "sdkAppID");
    bad_config("config without userSig or secretKey",
               "{\"sdkAppID\":1400000000,\"userID\":\"alice\"}", "userSig");

    printf("accepted, failed through the callback:\n");
    fails_with("sendMessage, unknown message id", client, "sendMessage",
               "{\"id\":\"no-such-message\",\"receiver\":\"bob\"}", V2IM_ERR_INVALID_PARAMETERS,
               NULL);
    json = ex_call_ok(client, "createTextMessage", "{\"text\":\"to nobody\"}");
    ex_created_id(json, id, sizeof id);
    free(json);
    snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
    /* A failed send still carries the message, with status 3 and its id, so the caller can
     * tell which message failed. */
    snprintf(fragment, sizeof fragment, "\"id\":\"%s\"", id);
    fails_with("sendMessage, no receiver nor groupID", client, "sendMessage", params,
               V2IM_ERR_INVALID_PARAMETERS, fragment);
    snprintf(params, sizeof params, "{\"messageIDList\":[\"%s\"]}", id);
    json = ex_call_ok(client, "findMessages", params);
    EX_CHECK(ex_json_has(json, "\"status\":3"), "the failed message is not status 3: %s", json);
    free(json);
    fails_with("findMessages without messageIDList", client, "findMessages", "{}",
               V2IM_ERR_INVALID_PARAMETERS, "messageIDList");
    fails_with("createTextMessage without text", client, "createTextMessage", "{}",
               V2IM_ERR_INVALID_PARAMETERS, "text");
    /* NULL params are taken as {}: the method reports what is missing. */
    fails_with("createTextMessage, NULL params", client, "createTextMessage", NULL,
               V2IM_ERR_INVALID_PARAMETERS, "text");
    fails_with("setLocalCustomData, unknown msgID", client, "setLocalCustomData",
               "{\"msgID\":\"no-such-message\",\"localCustomData\":\"x\"}",
               V2IM_ERR_INVALID_PARAMETERS, "no-such-message");

    /* A text over 12 KB: refused with 8001 at creation or, at the latest, at sending. */
    big_text = (char *)malloc(13 * 1024 + 1);
    big_params = (char *)malloc(13 * 1024 + 64);
    EX_CHECK(big_text != NULL && big_params != NULL, "out of memory");
    memset(big_text, 'a', 13 * 1024);
    big_text[13 * 1024] = '\0';
    snprintf(big_params, 13 * 1024 + 64, "{\"text\":\"%s\"}", big_text);
    rc = ex_call(client, "createTextMessage", big_params, &json);
    if (rc == 0) {
        ex_created_id(json, id, sizeof id);
        free(json);
        snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\"}", id);
        fails_with("sendMessage, 13 KB text", client, "sendMessage", params,
                   V2IM_ERR_SDK_MSG_BODY_SIZE_LIMIT, "\"status\":3");
    } else {
        EX_CHECK(rc == V2IM_ERR_SDK_MSG_BODY_SIZE_LIMIT, "createTextMessage 13 KB: %d, want 8001",
                 (int)rc);
        printf("  %-38s -> %6d  %s\n", "createTextMessage, 13 KB text", (int)rc,
               ex_desc(json, params, sizeof params));
        free(json);
    }
    free(big_text);
    free(big_params);

    /* A NULL callback is allowed: the request runs, nobody is told. */
    rc = v2im_call(client, "createTextMessage", "{\"text\":\"fire and forget\"}", NULL, NULL);
    EX_CHECK(rc == 0, "v2im_call with a NULL callback returned %d", (int)rc);

    printf("from a callback:\n");
    {
        reentry r;
        memset(&r, 0, sizeof r);
        r.client = client;
        r.create_rc = r.send_rc = -1;
        ex_result_init(&r.created);
        ex_result_init(&r.sent);
        ex_result_init(&r.outer);
        json = ex_call_ok(client, "createTextMessage", "{\"text\":\"reentrancy\"}");
        ex_created_id(json, id, sizeof id);
        free(json);
        snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\"}", id);
        rc = v2im_call(client, "sendMessage", params, on_sent_reenter, &r);
        EX_CHECK(rc == 0, "sendMessage refused: %d", (int)rc);
        EX_CHECK(ex_result_wait(&r.outer, EX_WAIT_SECONDS) == 0, "no sendMessage callback");
        EX_CHECK(r.outer.code == 0, "sendMessage failed: %s", r.outer.json);
        EX_CHECK(r.create_rc == 0 && r.created.calls == 1 && r.created.code == 0,
                 "createTextMessage from a callback: rc %d, %d callbacks, code %d",
                 (int)r.create_rc, r.created.calls, (int)r.created.code);
        printf("  %-38s -> %6d  completed before v2im_call returned\n",
               "createTextMessage in a callback", (int)r.create_rc);
        EX_CHECK(r.send_rc == 0, "sendMessage from a callback refused: %d", (int)r.send_rc);
        EX_CHECK(ex_result_wait(&r.sent, EX_WAIT_SECONDS) == 0,
                 "sendMessage from a callback: no callback");
        EX_CHECK(r.sent.code == 0, "sendMessage from a callback failed: %s", r.sent.json);
        printf("  %-38s -> %6d  sent later, code %d\n", "sendMessage in a callback",
               (int)r.send_rc, (int)r.sent.code);
        /* The client survived v2im_client_free from its callback, and said so in an onLog. */
        free(ex_call_ok(client, "createTextMessage", "{\"text\":\"still alive\"}"));
        EX_CHECK(ex_counter_wait(&log_errors, 1, EX_WAIT_SECONDS) == 0,
                 "no onLog error event for v2im_client_free from a callback");
        printf("  %-38s -> returned at once, client alive, onLog error reported\n",
               "v2im_client_free in a callback");
        ex_result_destroy(&r.created);
        ex_result_destroy(&r.sent);
        ex_result_destroy(&r.outer);
    }

    printf("v2im_error_str:\n");
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *text = v2im_error_str(codes[i]);
        EX_CHECK(text != NULL && text[0] != '\0', "v2im_error_str(%ld) is NULL or empty",
                 (long)codes[i]);
        printf("  %11ld  %s\n", (long)codes[i], text);
    }

    v2im_client_free(client);
    v2im_client_free(NULL); /* a no-op */
    EX_CHECK(ex_counter_get(&never) == 0, "%ld callbacks ran for refused calls",
             ex_counter_get(&never));
    ex_counter_destroy(&never);
    ex_counter_destroy(&log_errors);
    printf("errors: OK\n");
    return 0;
}
