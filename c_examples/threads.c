/*
 * threads.c: one client used from 8 threads at once, and shutdown with requests pending.
 *
 * Every v2im function may be called from any thread at once (rule 3 of v2im.h); network callbacks
 * all run on the client's one callback thread, in completion order, so the counters below only
 * need a mutex. The exactly-once rule (rule 2) is checked per request: each accepted call gets
 * its own slot, and its callback must run exactly once.
 *
 *   Phase 1: 8 threads each create and send 200 messages to bob as fast as they can; wait for
 *            all 1600 callbacks; every one must be a success, every slot called exactly once.
 *   Phase 2: 8 threads send 100 more each, and v2im_client_free is called while many are still
 *            queued. free cancels what is pending (on the callback thread), joins its threads and
 *            returns; by then every accepted call has been called back exactly once, with
 *            success or a failure/cancellation code, and no callback ever runs after it.
 */
#include "example_util.h"

#define THREADS 8
#define PHASE1_PER_THREAD 200
#define PHASE2_PER_THREAD 100

typedef struct slot {
    int accepted; /* v2im_call returned 0 */
    int calls;    /* callbacks seen */
    int32_t code; /* last callback code */
} slot;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long callbacks_total;

static v2im_client *client;

/* The send callback. user_data is the request's slot. Copy nothing: only the code is needed. */
static void on_sent(void *user_data, int32_t code, const char *result_json)
{
    slot *s = (slot *)user_data;
    (void)result_json;
    pthread_mutex_lock(&mu);
    s->calls++;
    s->code = code;
    callbacks_total++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

typedef struct worker {
    int index;
    int count;
    slot *slots;       /* count slots */
    int refused;       /* v2im_call non-zero (allowed in phase 2, once free has started) */
    int must_succeed;  /* phase 1: every call must be accepted */
} worker;

static void *run_worker(void *arg)
{
    worker *w = (worker *)arg;
    char params[256];
    char id[128];
    int i;
    for (i = 0; i < w->count; i++) {
        ex_result created;
        int32_t rc;
        ex_result_init(&created);
        snprintf(params, sizeof params, "{\"text\":\"thread %d message %d\"}", w->index, i);
        rc = v2im_call(client, "createTextMessage", params, ex_result_cb, &created);
        if (rc != 0 || created.code != 0) {
            /* Only acceptable once v2im_client_free has started (phase 2). */
            EX_CHECK(!w->must_succeed, "thread %d: createTextMessage: rc %d code %d %s",
                     w->index, (int)rc, (int)created.code, created.json ? created.json : "");
            ex_result_destroy(&created);
            w->refused += w->count - i;
            return NULL;
        }
        ex_created_id(created.json, id, sizeof id);
        ex_result_destroy(&created);

        snprintf(params, sizeof params, "{\"id\":\"%s\",\"receiver\":\"bob\"}", id);
        rc = v2im_call(client, "sendMessage", params, on_sent, &w->slots[i]);
        if (rc == 0) {
            /* Another thread (the callback thread) may already be writing calls/code; the
             * accepted flag is only read after all workers are joined. */
            w->slots[i].accepted = 1;
        } else {
            EX_CHECK(!w->must_succeed, "thread %d: sendMessage refused: %d (%s)", w->index,
                     (int)rc, v2im_error_str(rc));
            w->refused++;
        }
    }
    return NULL;
}

static void start_workers(worker *workers, pthread_t *tids, int per_thread, int must_succeed)
{
    int t;
    for (t = 0; t < THREADS; t++) {
        workers[t].index = t;
        workers[t].count = per_thread;
        workers[t].slots = (slot *)calloc((size_t)per_thread, sizeof(slot));
        workers[t].refused = 0;
        workers[t].must_succeed = must_succeed;
        EX_CHECK(workers[t].slots != NULL, "out of memory");
        EX_CHECK(pthread_create(&tids[t], NULL, run_worker, &workers[t]) == 0,
                 "pthread_create failed");
    }
}

static void join_workers(pthread_t *tids)
{
    int t;
    for (t = 0; t < THREADS; t++) {
        pthread_join(tids[t], NULL);
    }
}

int main(void)
{
    worker workers[THREADS];
    pthread_t tids[THREADS];
    struct timespec deadline;
    long accepted = 0;
    long ok = 0;
    long failed = 0;
    long refused = 0;
    long total_after_free;
    int t;
    int i;

    client = ex_client_new("alice");

    /* Phase 1. */
    start_workers(workers, tids, PHASE1_PER_THREAD, 1);
    join_workers(tids);
    deadline = ex_deadline(ex_seconds(120));
    pthread_mutex_lock(&mu);
    while (callbacks_total < (long)THREADS * PHASE1_PER_THREAD) {
        if (pthread_cond_timedwait(&cv, &mu, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    for (t = 0; t < THREADS; t++) {
        for (i = 0; i < PHASE1_PER_THREAD; i++) {
            slot *s = &workers[t].slots[i];
            EX_CHECK(s->accepted, "phase 1: thread %d message %d not accepted", t, i);
            EX_CHECK(s->calls == 1, "phase 1: thread %d message %d: %d callbacks, want 1", t, i,
                     s->calls);
            EX_CHECK(s->code == 0, "phase 1: thread %d message %d failed: %d (%s)", t, i,
                     (int)s->code, v2im_error_str(s->code));
        }
        free(workers[t].slots);
    }
    printf("phase 1: %d threads x %d messages: %ld callbacks, each exactly once, all code 0\n",
           THREADS, PHASE1_PER_THREAD, callbacks_total);

    /* Phase 2: free while sends are pending. */
    pthread_mutex_lock(&mu);
    callbacks_total = 0;
    pthread_mutex_unlock(&mu);
    start_workers(workers, tids, PHASE2_PER_THREAD, 0);
    join_workers(tids);
    /* All 800 requests are in; most are still queued or in flight. */
    v2im_client_free(client);
    client = NULL;

    pthread_mutex_lock(&mu);
    total_after_free = callbacks_total;
    pthread_mutex_unlock(&mu);
    for (t = 0; t < THREADS; t++) {
        refused += workers[t].refused;
        for (i = 0; i < PHASE2_PER_THREAD; i++) {
            slot *s = &workers[t].slots[i];
            if (!s->accepted) {
                EX_CHECK(s->calls == 0, "phase 2: a refused call was called back");
                continue;
            }
            accepted++;
            EX_CHECK(s->calls == 1, "phase 2: thread %d message %d: %d callbacks after free, "
                                    "want exactly 1", t, i, s->calls);
            if (s->code == 0) {
                ok++;
            } else {
                failed++;
            }
        }
    }
    EX_CHECK(total_after_free == accepted, "phase 2: %ld callbacks for %ld accepted calls",
             total_after_free, accepted);

    /* After free returned, nothing may run any more. */
    {
        struct timespec pause = {0, 300 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    pthread_mutex_lock(&mu);
    EX_CHECK(callbacks_total == total_after_free, "%ld callbacks ran after v2im_client_free",
             callbacks_total - total_after_free);
    pthread_mutex_unlock(&mu);
    for (t = 0; t < THREADS; t++) {
        free(workers[t].slots);
    }
    printf("phase 2: %ld accepted, %ld refused; after v2im_client_free: %ld sent, %ld failed or "
           "cancelled, each called back exactly once\n",
           accepted, refused, ok, failed);
    printf("threads: OK\n");
    return 0;
}
