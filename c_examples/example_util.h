/*
 * example_util.h: small helpers shared by the v2im C examples.
 *
 * Include it first (it asks for POSIX 2008 before any system header). Everything is
 * `static inline`, so each example is one .c file plus this header and v2im.h.
 *
 * What is here:
 *   - failing loudly:      EX_CHECK(cond, fmt, ...) prints file:line and exits 1;
 *   - waiting for a result: ex_result + ex_result_cb + ex_result_wait (a mutex and a condition
 *     variable, with a timeout so nothing hangs); ex_call()/ex_call_ok() wrap one v2im_call;
 *   - configuration from the environment (what c_examples/with_server.py exports), with extra
 *     config members such as "receive": true (ex_client_new_with);
 *   - recording events: ex_events keeps a copy of every event of a client and waits for one
 *     (by name, and a test on its data) with a timeout;
 *   - JSON peeking: substring checks, a member lookup, array elements, and a small
 *     pretty-printer.
 *
 * About the JSON helpers: v2im speaks JSON (serde_json, compact, keys without spaces), and these
 * examples only peek into it, with strstr for fragments like `"status":2` and a tiny scanner for
 * members such as data.msgID, to stay free of dependencies. That is fine for examples but
 * fragile in an application: a real program should parse results with a JSON library (cJSON,
 * jansson, yyjson, ...).
 */
#ifndef V2IM_EXAMPLE_UTIL_H
#define V2IM_EXAMPLE_UTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "v2im.h"

/* `base` seconds times V2IM_TIME_SCALE (an integer, default 1; ctest sets 5 under valgrind). */
static inline int ex_seconds(int base)
{
    const char *scale = getenv("V2IM_TIME_SCALE");
    int k = scale != NULL ? atoi(scale) : 1;
    return base * (k > 1 ? k : 1);
}

/* How long any single callback may take before an example gives up. */
#define EX_WAIT_SECONDS ex_seconds(30)

/* ------------------------------------------------------------------------------------------- */
/* Failing loudly                                                                               */
/* ------------------------------------------------------------------------------------------- */

static inline void ex_fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* EX_CHECK(cond, "format", args...): exit(1) with a message when cond is false. */
#define EX_CHECK(cond, ...)                                                                   \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            ex_fail_at(__FILE__, __LINE__, __VA_ARGS__);                                      \
        }                                                                                     \
    } while (0)

#define EX_FAIL(...) ex_fail_at(__FILE__, __LINE__, __VA_ARGS__)

static inline char *ex_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = (char *)malloc(n);
    if (p == NULL) {
        EX_FAIL("out of memory");
    }
    memcpy(p, s, n);
    return p;
}

/* ------------------------------------------------------------------------------------------- */
/* Waiting for one callback                                                                     */
/* ------------------------------------------------------------------------------------------- */

/*
 * One pending request. The callback copies what it needs: the `result_json` string belongs to
 * the library and is valid only while the callback runs (rule 5). `calls` must end at exactly 1:
 * v2im runs the callback of an accepted call exactly once (rule 2).
 */
typedef struct ex_result {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;        /* how many times the callback ran */
    int32_t code;     /* the `code` argument */
    char *json;       /* malloc'd copy of result_json */
    pthread_t thread; /* the thread the callback ran on */
} ex_result;

static inline void ex_result_init(ex_result *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

static inline void ex_result_destroy(ex_result *r)
{
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r->json);
    r->json = NULL;
}

/* A v2im_callback: pass it with an ex_result * as user_data. */
static inline void ex_result_cb(void *user_data, int32_t code, const char *result_json)
{
    ex_result *r = (ex_result *)user_data;
    char *copy = ex_strdup(result_json != NULL ? result_json : "");
    pthread_mutex_lock(&r->mu);
    r->calls++;
    r->code = code;
    free(r->json);
    r->json = copy;
    r->thread = pthread_self();
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static inline struct timespec ex_deadline(int seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    return ts;
}

/* Waits until the callback ran; returns 0, or -1 after `seconds`. */
static inline int ex_result_wait(ex_result *r, int seconds)
{
    struct timespec deadline = ex_deadline(seconds);
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    while (r->calls == 0 && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &deadline);
    }
    rc = r->calls > 0 ? 0 : -1;
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* A thread-safe counter, e.g. of callbacks that must never run. */
typedef struct ex_counter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    long n;
} ex_counter;

static inline void ex_counter_init(ex_counter *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->n = 0;
}

static inline void ex_counter_destroy(ex_counter *c)
{
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

static inline void ex_counter_add(ex_counter *c, long k)
{
    pthread_mutex_lock(&c->mu);
    c->n += k;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static inline long ex_counter_get(ex_counter *c)
{
    long n;
    pthread_mutex_lock(&c->mu);
    n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Waits until the counter reaches `target`; returns 0, or -1 after `seconds`. */
static inline int ex_counter_wait(ex_counter *c, long target, int seconds)
{
    struct timespec deadline = ex_deadline(seconds);
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    while (c->n < target && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&c->cv, &c->mu, &deadline);
    }
    rc = c->n >= target ? 0 : -1;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* A v2im_callback that only counts (user_data is an ex_counter *). */
static inline void ex_count_cb(void *user_data, int32_t code, const char *result_json)
{
    (void)code;
    (void)result_json;
    ex_counter_add((ex_counter *)user_data, 1);
}

/*
 * One request, synchronously: v2im_call, then wait for its callback.
 * Exits if the call is refused (non-zero return: then the callback never runs) or the callback
 * does not come within EX_WAIT_SECONDS. Returns the callback's code; if json_out is not NULL it
 * receives a malloc'd copy of the result JSON (free it).
 */
static inline int32_t ex_call(v2im_client *client, const char *method, const char *params,
                              char **json_out)
{
    ex_result r;
    int32_t rc;
    int32_t code;
    ex_result_init(&r);
    rc = v2im_call(client, method, params, ex_result_cb, &r);
    if (rc != 0) {
        EX_FAIL("v2im_call(%s) refused the request: %d (%s)", method, (int)rc,
                v2im_error_str(rc));
    }
    if (ex_result_wait(&r, EX_WAIT_SECONDS) != 0) {
        EX_FAIL("%s: no callback within %d s", method, EX_WAIT_SECONDS);
    }
    code = r.code;
    if (json_out != NULL) {
        *json_out = r.json;
        r.json = NULL;
    }
    ex_result_destroy(&r);
    return code;
}

/* Like ex_call, but the callback's code must be 0. Returns the result JSON (free it). */
static inline char *ex_call_ok(v2im_client *client, const char *method, const char *params)
{
    char *json = NULL;
    int32_t code = ex_call(client, method, params, &json);
    if (code != 0) {
        EX_FAIL("%s failed with %d (%s): %s", method, (int)code, v2im_error_str(code),
                json != NULL ? json : "");
    }
    return json;
}

/* ------------------------------------------------------------------------------------------- */
/* Configuration from the environment                                                           */
/* ------------------------------------------------------------------------------------------- */

static inline const char *ex_env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    if (v != NULL && v[0] != '\0') {
        return v;
    }
    if (fallback != NULL) {
        return fallback;
    }
    EX_FAIL("environment variable %s is not set; run the example through "
            "c_examples/with_server.py (ctest does) or export V2IM_SERVER_URL, V2IM_SDKAPPID, "
            "V2IM_SECRET_KEY and V2IM_GROUP_ID yourself",
            name);
    return NULL;
}

/*
 * The client configuration (README "Config"): `userID` sends every message; the REST calls are
 * signed for the app admin `identifier` with a UserSig the library makes from `secretKey`.
 * A mobile or desktop app would get a ready `userSig` from its own back end instead: never ship
 * the secret key in a client.
 */
static inline void ex_config_with(char *buf, size_t size, const char *user_id, const char *extra)
{
    int n = snprintf(buf, size,
                     "{\"sdkAppID\":%s,\"userID\":\"%s\",\"identifier\":\"%s\","
                     "\"secretKey\":\"%s\",\"serverUrl\":\"%s\"%s%s}",
                     ex_env("V2IM_SDKAPPID", NULL), user_id, ex_env("V2IM_ADMIN", "administrator"),
                     ex_env("V2IM_SECRET_KEY", NULL), ex_env("V2IM_SERVER_URL", NULL),
                     extra != NULL && extra[0] != '\0' ? "," : "", extra != NULL ? extra : "");
    EX_CHECK(n > 0 && (size_t)n < size, "config does not fit in %zu bytes", size);
}

static inline void ex_config(char *buf, size_t size, const char *user_id)
{
    ex_config_with(buf, size, user_id, NULL);
}

/*
 * Creates a client for `user_id` with `extra` config members (JSON text without braces, e.g.
 * "\"receive\":true"; NULL or "" for none), or exits with the library's reason.
 */
static inline v2im_client *ex_client_new_with(const char *user_id, const char *extra)
{
    char config[1024];
    v2im_client *client = NULL;
    ex_result r;
    int32_t rc;
    ex_config_with(config, sizeof config, user_id, extra);
    ex_result_init(&r);
    /* The callback of v2im_client_new is optional and runs synchronously, before it returns. */
    rc = v2im_client_new(config, &client, ex_result_cb, &r);
    if (rc != 0 || client == NULL) {
        EX_FAIL("v2im_client_new failed: %d (%s): %s", (int)rc, v2im_error_str(rc),
                r.json != NULL ? r.json : "(no result)");
    }
    ex_result_destroy(&r);
    return client;
}

/* Creates a client for `user_id`, or exits with the library's reason. */
static inline v2im_client *ex_client_new(const char *user_id)
{
    return ex_client_new_with(user_id, NULL);
}

/* ------------------------------------------------------------------------------------------- */
/* JSON peeking (see the note at the top: use a JSON parser in real code)                        */
/* ------------------------------------------------------------------------------------------- */

/* Does `json` contain `fragment`, e.g. "\"code\":0"? */
static inline int ex_json_has(const char *json, const char *fragment)
{
    return json != NULL && strstr(json, fragment) != NULL;
}

/* How many times `fragment` occurs in `json`. */
static inline int ex_json_count(const char *json, const char *fragment)
{
    int n = 0;
    size_t len = strlen(fragment);
    const char *p = json;
    if (json == NULL || len == 0) {
        return 0;
    }
    while ((p = strstr(p, fragment)) != NULL) {
        n++;
        p += len;
    }
    return n;
}

/*
 * Copies the string value of the first `"key":"..."` at or after `from` into out (escapes are
 * kept as they are). Returns 1 if found, 0 if not (or if the value is not a string).
 */
static inline int ex_json_string(const char *from, const char *key, char *out, size_t size)
{
    char pattern[128];
    const char *p;
    size_t n = 0;
    if (from == NULL || size == 0) {
        return 0;
    }
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    p = strstr(from, pattern);
    if (p == NULL) {
        return 0;
    }
    p += strlen(pattern);
    while (*p != '\0' && *p != '"') {
        if (*p == '\\' && p[1] != '\0') {
            if (n + 2 < size) {
                out[n++] = p[0];
                out[n++] = p[1];
            }
            p += 2;
            continue;
        }
        if (n + 1 < size) {
            out[n++] = *p;
        }
        p++;
    }
    out[n] = '\0';
    return *p == '"';
}

/* The integer value of the first `"key":N` at or after `from`. Returns 1 if found. */
static inline int ex_json_int(const char *from, const char *key, long long *out)
{
    char pattern[128];
    const char *p;
    char *end;
    if (from == NULL) {
        return 0;
    }
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    p = strstr(from, pattern);
    if (p == NULL) {
        return 0;
    }
    p += strlen(pattern);
    *out = strtoll(p, &end, 10);
    return end != p;
}

static inline const char *ex_skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
        p++;
    }
    return p;
}

/* End of the JSON string starting at the opening quote p. */
static inline const char *ex_string_end(const char *p)
{
    p++;
    while (*p != '\0' && *p != '"') {
        p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
    }
    return *p == '"' ? p + 1 : p;
}

/* End of the scalar JSON value (string, number, true, false, null) starting at p. */
static inline const char *ex_scalar_end(const char *p)
{
    if (*p == '"') {
        return ex_string_end(p);
    }
    while (*p != '\0' && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
           *p != '\r' && *p != '\t') {
        p++;
    }
    return p;
}

/* End of any JSON value at p: a string, a scalar, or a whole object or array. */
static inline const char *ex_json_value_end(const char *p)
{
    int depth = 0;
    p = ex_skip_ws(p);
    if (*p != '{' && *p != '[') {
        return ex_scalar_end(p);
    }
    while (*p != '\0') {
        if (*p == '"') {
            p = ex_string_end(p);
            continue;
        }
        if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (--depth == 0) {
                return p + 1;
            }
        }
        p++;
    }
    return p;
}

/*
 * The value of member `key` of the JSON object starting at `obj`, looking at that object's own
 * members only (not into nested ones: a merger message carries whole messages, with their own
 * "msgID", inside its mergerElem). Returns a pointer into the text, or NULL.
 */
static inline const char *ex_json_member(const char *obj, const char *key)
{
    size_t len = strlen(key);
    const char *p;
    if (obj == NULL) {
        return NULL;
    }
    p = ex_skip_ws(obj);
    if (*p != '{') {
        return NULL;
    }
    p = ex_skip_ws(p + 1);
    while (*p == '"') {
        const char *key_end = ex_string_end(p);
        int match = (size_t)(key_end - p) == len + 2 && strncmp(p + 1, key, len) == 0;
        p = ex_skip_ws(key_end);
        if (*p != ':') {
            return NULL;
        }
        p = ex_skip_ws(p + 1);
        if (match) {
            return p;
        }
        p = ex_skip_ws(ex_json_value_end(p));
        if (*p != ',') {
            break;
        }
        p = ex_skip_ws(p + 1);
    }
    return NULL;
}

/*
 * Copies the JSON string at `value` into out, undoing the simple escapes (\" \\ \/ \n \t;
 * \uXXXX is kept as written). Returns 1 if `value` is a string.
 */
static inline int ex_json_copy_string(const char *value, char *out, size_t size)
{
    const char *p;
    size_t n = 0;
    if (value == NULL || *value != '"' || size == 0) {
        return 0;
    }
    for (p = value + 1; *p != '\0' && *p != '"'; p++) {
        char c = *p;
        if (c == '\\' && p[1] != '\0') {
            char e = *++p;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            if (e == 'u' && n + 1 < size) {
                out[n++] = '\\';
            }
        }
        if (n + 1 < size) {
            out[n++] = c;
        }
    }
    out[n] = '\0';
    return 1;
}

/*
 * The elements of a JSON array, one after another: `p = ex_json_first(array)` gives the first
 * (NULL if the array is empty or `array` is not one), `p = ex_json_next(p)` the one after p.
 */
static inline const char *ex_json_first(const char *array)
{
    const char *p;
    if (array == NULL) {
        return NULL;
    }
    p = ex_skip_ws(array);
    if (*p != '[') {
        return NULL;
    }
    p = ex_skip_ws(p + 1);
    return *p == ']' || *p == '\0' ? NULL : p;
}

static inline const char *ex_json_next(const char *element)
{
    const char *p = ex_skip_ws(ex_json_value_end(element));
    if (*p != ',') {
        return NULL;
    }
    p = ex_skip_ws(p + 1);
    return *p == ']' || *p == '\0' ? NULL : p;
}

/* Is the member `key` of the object at `obj` the JSON string `value` (compared unescaped)? */
static inline int ex_json_member_is(const char *obj, const char *key, const char *value)
{
    char buf[512];
    return ex_json_copy_string(ex_json_member(obj, key), buf, sizeof buf) &&
           strcmp(buf, value) == 0;
}

/* The first object of the JSON array `array` whose own member `key` is the string `value`. */
static inline const char *ex_json_find(const char *array, const char *key, const char *value)
{
    const char *p;
    for (p = ex_json_first(array); p != NULL; p = ex_json_next(p)) {
        if (ex_json_member_is(p, key, value)) {
            return p;
        }
    }
    return NULL;
}

/* The integer member `key` of the object at `obj` (its own members only). Returns 1 if found. */
static inline int ex_json_member_int(const char *obj, const char *key, long long *out)
{
    const char *v = ex_json_member(obj, key);
    char *end;
    if (v == NULL) {
        return 0;
    }
    *out = strtoll(v, &end, 10);
    return end != v;
}

/* data.<key> of a result, as a string. Returns 1 if present and a string. */
static inline int ex_data_string(const char *json, const char *key, char *out, size_t size)
{
    return ex_json_copy_string(ex_json_member(ex_json_member(json, "data"), key), out, size);
}

/* The `id` of a created message: data.id of a createXxxMessage result. Exits if absent. */
static inline void ex_created_id(const char *json, char *out, size_t size)
{
    EX_CHECK(ex_data_string(json, "id", out, size) && out[0] != '\0', "no data.id in %s",
             json != NULL ? json : "(null)");
}

/* Runs a createXxxMessage `method` with `params` and copies the new message's id to `out`.
 * Exits on any failure. */
static inline void ex_create(v2im_client *client, const char *method, const char *params,
                             char *out, size_t size)
{
    char *json = ex_call_ok(client, method, params);
    ex_created_id(json, out, size);
    free(json);
}

/* The server's `msgID` of a sent message: data.msgID. Exits if absent or empty. */
static inline void ex_msg_id(const char *json, char *out, size_t size)
{
    EX_CHECK(ex_data_string(json, "msgID", out, size) && out[0] != '\0', "no data.msgID in %s",
             json != NULL ? json : "(null)");
}

/* The `desc` of a result (the reason of a failure). */
static inline const char *ex_desc(const char *json, char *out, size_t size)
{
    if (!ex_json_copy_string(ex_json_member(json, "desc"), out, size)) {
        snprintf(out, size, "(no desc)");
    }
    return out;
}

/* ------------------------------------------------------------------------------------------- */
/* Recording events                                                                             */
/* ------------------------------------------------------------------------------------------- */

/*
 * Every event of one client, copied in the order they came (an event's JSON is valid only during
 * the callback, rule 5). Set it as the client's listener with ex_events_listen, which with
 * "receive": true in the config also opens the client's live channel; wait with ex_events_wait.
 * Destroy it only after v2im_client_free: the listener may run until then.
 */
typedef struct ex_events {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *who; /* a name for failure messages */
    char **items;    /* malloc'd copies of the event JSON texts */
    size_t n;
    size_t cap;
} ex_events;

/* A test on an event's "data": non-zero if it is the one waited for. */
typedef int (*ex_event_test)(const char *data, const void *arg);

static inline void ex_events_init(ex_events *e, const char *who)
{
    memset(e, 0, sizeof *e);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->who = who;
}

static inline void ex_events_destroy(ex_events *e)
{
    size_t i;
    for (i = 0; i < e->n; i++) {
        free(e->items[i]);
    }
    free(e->items);
    e->items = NULL;
    e->n = e->cap = 0;
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
}

/* A v2im_event_callback: pass it with an ex_events * as user_data. */
static inline void ex_events_cb(void *user_data, const char *event_json)
{
    ex_events *e = (ex_events *)user_data;
    char *copy = ex_strdup(event_json != NULL ? event_json : "{}");
    pthread_mutex_lock(&e->mu);
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        char **items = (char **)realloc(e->items, cap * sizeof *items);
        if (items == NULL) {
            EX_FAIL("out of memory");
        }
        e->items = items;
        e->cap = cap;
    }
    e->items[e->n++] = copy;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* Sets `e` as the listener of `client` (no free_user_data: `e` outlives the client). */
static inline void ex_events_listen(v2im_client *client, ex_events *e)
{
    int32_t rc = v2im_set_event_callback(client, ex_events_cb, e, NULL);
    EX_CHECK(rc == 0, "v2im_set_event_callback failed: %d (%s)", (int)rc, v2im_error_str(rc));
}

/* How many events were recorded so far: a starting point for ex_events_wait. */
static inline size_t ex_events_mark(ex_events *e)
{
    size_t n;
    pthread_mutex_lock(&e->mu);
    n = e->n;
    pthread_mutex_unlock(&e->mu);
    return n;
}

/* Does event `json` have the name `name` ("event":"name" as its own member)? */
static inline int ex_event_is(const char *json, const char *name)
{
    return ex_json_member_is(json, "event", name);
}

/* Index of the first event at or after `from` named `name` whose data passes `test` (NULL: any
 * data), or -1. The caller holds e->mu. */
static inline long ex_events_find_locked(ex_events *e, size_t from, const char *name,
                                         ex_event_test test, const void *arg)
{
    size_t i;
    for (i = from; i < e->n; i++) {
        if (ex_event_is(e->items[i], name) &&
            (test == NULL || test(ex_json_member(e->items[i], "data"), arg))) {
            return (long)i;
        }
    }
    return -1;
}

/*
 * Waits up to `seconds` for an event named `name`, recorded at index `from` or later, whose data
 * passes `test` (NULL: any). Returns its JSON (owned by `e`, valid until ex_events_destroy), or
 * NULL after the timeout.
 */
static inline const char *ex_events_wait(ex_events *e, size_t from, const char *name,
                                         ex_event_test test, const void *arg, int seconds)
{
    struct timespec deadline = ex_deadline(seconds);
    const char *found = NULL;
    int rc = 0;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        long i = ex_events_find_locked(e, from, name, test, arg);
        if (i >= 0) {
            found = e->items[i];
            break;
        }
        if (rc == ETIMEDOUT) {
            break;
        }
        rc = pthread_cond_timedwait(&e->cv, &e->mu, &deadline);
    }
    pthread_mutex_unlock(&e->mu);
    return found;
}

/* How many events named `name` were recorded at index `from` or later. */
static inline int ex_events_count(ex_events *e, size_t from, const char *name)
{
    int count = 0;
    size_t i;
    pthread_mutex_lock(&e->mu);
    for (i = from; i < e->n; i++) {
        count += ex_event_is(e->items[i], name);
    }
    pthread_mutex_unlock(&e->mu);
    return count;
}

/* Prints the names of the recorded events to stderr (for failure messages). */
static inline void ex_events_dump(ex_events *e)
{
    size_t i;
    pthread_mutex_lock(&e->mu);
    fprintf(stderr, "%s's events (%zu):", e->who != NULL ? e->who : "client", e->n);
    for (i = 0; i < e->n; i++) {
        char name[64];
        if (!ex_json_copy_string(ex_json_member(e->items[i], "event"), name, sizeof name)) {
            snprintf(name, sizeof name, "?");
        }
        fprintf(stderr, " %s", name);
    }
    fputc('\n', stderr);
    pthread_mutex_unlock(&e->mu);
}

/* ex_events_wait within EX_WAIT_SECONDS, or exit with `what` and the events that did come. */
#define EX_EXPECT_EVENT(e, from, name, test, arg, what)                                       \
    ex_events_expect_at(__FILE__, __LINE__, (e), (from), (name), (test), (arg), (what))

static inline const char *ex_events_expect_at(const char *file, int line, ex_events *e,
                                              size_t from, const char *name, ex_event_test test,
                                              const void *arg, const char *what)
{
    const char *found = ex_events_wait(e, from, name, test, arg, EX_WAIT_SECONDS);
    if (found == NULL) {
        fflush(stdout);
        ex_events_dump(e);
        ex_fail_at(file, line, "%s: no %s (%s) within %d s", e->who != NULL ? e->who : "client",
                   name, what, EX_WAIT_SECONDS);
    }
    return found;
}

/*
 * Waits for the live channel (config "receive": true, opened by the first listener) to report
 * onConnectSuccess. The library retries a lost or failed channel by itself, so an
 * onConnectFailed only ends the wait when it is final here, 100012 (the server has no channel);
 * otherwise the last one is shown if the channel never opens.
 */
static inline void ex_events_wait_connected(ex_events *e)
{
    struct timespec deadline = ex_deadline(EX_WAIT_SECONDS);
    const char *who = e->who != NULL ? e->who : "client";
    char failure[512] = "";
    int rc = 0;
    long ok = -1;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        long failed = -1;
        size_t from = 0;
        long i;
        ok = ex_events_find_locked(e, 0, "onConnectSuccess", NULL, NULL);
        while ((i = ex_events_find_locked(e, from, "onConnectFailed", NULL, NULL)) >= 0) {
            failed = i;
            from = (size_t)i + 1;
        }
        if (failed >= 0) {
            snprintf(failure, sizeof failure, "%s", e->items[failed]);
        }
        if (ok >= 0 || rc == ETIMEDOUT || ex_json_has(failure, "\"code\":100012")) {
            break;
        }
        rc = pthread_cond_timedwait(&e->cv, &e->mu, &deadline);
    }
    pthread_mutex_unlock(&e->mu);
    if (ok < 0) {
        EX_FAIL("%s: the live channel did not open within %d s%s%s", who, EX_WAIT_SECONDS,
                failure[0] != '\0' ? "; last failure: " : "", failure);
    }
}

/* ------------------------------------------------------------------------------------------- */
/* Pretty-printing                                                                              */
/* ------------------------------------------------------------------------------------------- */

static inline void ex_indent(FILE *out, int level)
{
    int i;
    for (i = 0; i < level; i++) {
        fputs("  ", out);
    }
}

static inline const char *ex_print_value(FILE *out, const char *p, int level, int skip_nulls)
{
    p = ex_skip_ws(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        int is_obj = *p == '{';
        int printed = 0;
        fputc(*p, out);
        p = ex_skip_ws(p + 1);
        while (*p != '\0' && *p != close) {
            const char *key = NULL;
            const char *key_end = NULL;
            const char *value;
            if (is_obj) {
                key = p;
                key_end = ex_string_end(p);
                p = ex_skip_ws(key_end);
                if (*p == ':') {
                    p = ex_skip_ws(p + 1);
                }
            }
            value = p;
            if (skip_nulls && is_obj && strncmp(value, "null", 4) == 0) {
                p = ex_skip_ws(value + 4);
            } else {
                fputs(printed ? ",\n" : "\n", out);
                ex_indent(out, level + 1);
                if (is_obj) {
                    fprintf(out, "%.*s: ", (int)(key_end - key), key);
                }
                p = ex_skip_ws(ex_print_value(out, value, level + 1, skip_nulls));
                printed = 1;
            }
            if (*p == ',') {
                p = ex_skip_ws(p + 1);
            }
        }
        if (printed) {
            fputc('\n', out);
            ex_indent(out, level);
        }
        fputc(close, out);
        return *p == close ? p + 1 : p;
    }
    {
        const char *end = ex_scalar_end(p);
        fprintf(out, "%.*s", (int)(end - p), p);
        return end;
    }
}

/* Prints JSON indented by two spaces; with skip_nulls, object members whose value is null are
 * left out (a V2TimMessage carries every key of the template, most of them null). */
static inline void ex_print_json(FILE *out, const char *json, int skip_nulls)
{
    if (json == NULL) {
        fputs("(null)\n", out);
        return;
    }
    ex_print_value(out, json, 0, skip_nulls);
    fputc('\n', out);
}

#endif /* V2IM_EXAMPLE_UTIL_H */
