/*
 * errors.c: every way a v2im call can fail, and how each failure is reported.
 *
 * Two channels (DESIGN rule 2):
 *   - v2im_call returns non-zero, and the callback NEVER runs, only when the request cannot be
 *     read at all: NULL client or method, params that are not UTF-8, not JSON, or not a JSON
 *     object, an unknown method. The caller keeps everything it passed.
 *   - Everything else (a missing field, an unknown message id, a limit, a network or server
 *     error) is accepted (return 0) and arrives through the callback, exactly once, as
 *     {"code": N, "desc": "...", "data": ...}.
 * v2im_client_new reports a bad config both ways: it returns the code and runs its optional
 * callback synchronously with a desc that names the key; *out_client is left untouched.
 * v2im_error_str(code) is a static text for any code, never NULL; do not free it.
 */
#include "example_util.h"

/* Tencent's codes (reference §3) and v2im's own block (src/codes.rs). */
#define ERR_INVALID_PARAMETERS 6017
#define ERR_SDK_MSG_BODY_SIZE_LIMIT 8001
#define V2IM_CODE_UNKNOWN_METHOD 100001

static ex_counter never; /* callbacks that must never run */

/* A call that must be refused: non-zero return, and its callback never runs. */
static int32_t refused(const char *what, v2im_client *client, const char *method,
                       const char *params)
{
    long before = ex_counter_get(&never);
    int32_t rc = v2im_call(client, method, params, ex_count_cb, &never);
    EX_CHECK(rc != 0, "%s: v2im_call returned 0, want an error", what);
    EX_CHECK(ex_counter_get(&never) == before, "%s: the callback ran for a refused call", what);
    EX_CHECK(v2im_error_str(rc) != NULL, "%s: v2im_error_str(%d) is NULL", what, (int)rc);
    printf("  %-34s -> %6d  %s\n", what, (int)rc, v2im_error_str(rc));
    return rc;
}

/* A call that is accepted and must fail through its callback with `want`. */
static void fails_with(const char *what, v2im_client *client, const char *method,
                       const char *params, int32_t want)
{
    char *json = NULL;
    char fragment[64];
    int32_t code = ex_call(client, method, params, &json);
    EX_CHECK(code == want, "%s: callback code %d, want %d: %s", what, (int)code, (int)want,
             json);
    snprintf(fragment, sizeof fragment, "\"code\":%d", (int)want);
    EX_CHECK(ex_json_has(json, fragment), "%s: result lacks %s: %s", what, fragment, json);
    EX_CHECK(ex_json_has(json, "\"desc\":\""), "%s: result lacks desc: %s", what, json);
    printf("  %-34s -> %6d  %s\n", what, (int)code, json);
    free(json);
}

/* A config v2im_client_new must refuse with 6017 and a desc naming `key`. */
static void bad_config(const char *what, const char *config, const char *key)
{
    v2im_client *sentinel = (v2im_client *)&never; /* any non-NULL value */
    v2im_client *client = sentinel;
    ex_result r;
    int32_t rc;
    ex_result_init(&r);
    rc = v2im_client_new(config, &client, ex_result_cb, &r);
    EX_CHECK(rc == ERR_INVALID_PARAMETERS, "%s: v2im_client_new returned %d, want 6017", what,
             (int)rc);
    EX_CHECK(client == sentinel, "%s: *out_client was written on failure", what);
    EX_CHECK(r.calls == 1, "%s: the callback ran %d times, want once (synchronously)", what,
             r.calls);
    EX_CHECK(r.code == rc, "%s: callback code %d != return %d", what, (int)r.code, (int)rc);
    EX_CHECK(ex_json_has(r.json, key), "%s: desc does not name %s: %s", what, key, r.json);
    printf("  %-34s -> %6d  %s\n", what, (int)rc, r.json);
    ex_result_destroy(&r);
}

int main(void)
{
    static const int32_t codes[] = {
        0,      6006,   6007,   6008,   6009,   6012,   6013,  6016,  6017,
        6022,   6027,   6031,   7004,   7005,   7006,   7007,  8001,  8020,
        8021,   9508,   100001, 100002, 100003, 100004, 100005, 100006, 100007,
        100008, 100009, 20003,  70001,  90001,  93000,  10007, -1,    1,
        99999,  100000, 100999, INT32_MIN, INT32_MAX,
    };
    v2im_client *client;
    v2im_client *out;
    char config[1024];
    char params[512];
    char id[128];
    char *big_text;
    char *big_params;
    char *json;
    int32_t rc;
    size_t i;

    ex_counter_init(&never);
    client = ex_client_new("alice");

    printf("refused by v2im_call (non-zero return, no callback):\n");
    refused("NULL client", NULL, "createTextMessage", "{\"text\":\"x\"}");
    refused("NULL method", client, NULL, "{\"text\":\"x\"}");
    refused("params not UTF-8", client, "createTextMessage", "{\"text\":\"\xff\xfe\"}");
    refused("params not JSON", client, "createTextMessage", "{\"text\":");
    refused("params a JSON array", client, "createTextMessage", "[\"text\"]");
    refused("params a JSON string", client, "createTextMessage", "\"text\"");
    rc = refused("unknown method", client, "sendMesage", "{\"id\":\"x\"}");
    EX_CHECK(rc == V2IM_CODE_UNKNOWN_METHOD, "unknown method: %d, want %d", (int)rc,
             V2IM_CODE_UNKNOWN_METHOD);

    printf("refused by v2im_client_new:\n");
    ex_config(config, sizeof config, "alice");
    rc = v2im_client_new(config, NULL, ex_count_cb, &never);
    EX_CHECK(rc != 0, "v2im_client_new with a NULL out pointer returned 0");
    printf("  %-34s -> %6d  %s\n", "NULL out pointer", (int)rc, v2im_error_str(rc));
    out = NULL;
    rc = v2im_client_new(NULL, &out, NULL, NULL);
    EX_CHECK(rc != 0 && out == NULL, "v2im_client_new(NULL config) returned %d", (int)rc);
    printf("  %-34s -> %6d  %s\n", "NULL config", (int)rc, v2im_error_str(rc));
    bad_config("config without userID",
               "{\"sdkAppID\":1400000000,\"secretKey\":\"k\",\"serverUrl\":\"http://127.0.0.1:1\"}",
               "userID");
    bad_config("config with sdkAppID a string",
               "{\"sdkAppID\":\"abc\",\"userID\":\"alice\",\"secretKey\":\"k\"}", "sdkAppID");
    bad_config("config without userSig or secretKey",
               "{\"sdkAppID\":1400000000,\"userID\":\"alice\"}", "userSig");

    printf("accepted, failed through the callback:\n");
    fails_with("sendMessage, unknown message id", client, "sendMessage",
               "{\"id\":\"no-such-message\",\"receiver\":\"bob\"}", ERR_INVALID_PARAMETERS);
    json = ex_call_ok(client, "createTextMessage", "{\"text\":\"to nobody\"}");
    ex_created_id(json, id, sizeof id);
    free(json);
    snprintf(params, sizeof params, "{\"id\":\"%s\"}", id);
    fails_with("sendMessage, no receiver nor groupID", client, "sendMessage", params,
               ERR_INVALID_PARAMETERS);
    fails_with("createTextMessage without text", client, "createTextMessage", "{}",
               ERR_INVALID_PARAMETERS);
    fails_with("setLocalCustomData, unknown msgID", client, "setLocalCustomData",
               "{\"msgID\":\"no-such-message\",\"localCustomData\":\"x\"}",
               ERR_INVALID_PARAMETERS);

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
                   ERR_SDK_MSG_BODY_SIZE_LIMIT);
    } else {
        EX_CHECK(rc == ERR_SDK_MSG_BODY_SIZE_LIMIT, "createTextMessage 13 KB: %d, want 8001",
                 (int)rc);
        printf("  %-34s -> %6d  %s\n", "createTextMessage, 13 KB text", (int)rc, json);
        free(json);
    }
    free(big_text);
    free(big_params);

    /* A NULL callback is allowed: the request runs, nobody is told. */
    rc = v2im_call(client, "createTextMessage", "{\"text\":\"fire and forget\"}", NULL, NULL);
    EX_CHECK(rc == 0, "v2im_call with a NULL callback returned %d", (int)rc);

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
    printf("errors: OK\n");
    return 0;
}
