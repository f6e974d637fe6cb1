/*
 * media.c: image, sound, video and file messages with the v2im C API.
 *
 * alice sends bob one message of each media kind. The files are made here, in a temporary
 * directory: a 400x300 BMP picture (also the video's snapshot), a "voice" and a "clip" of
 * arbitrary bytes, and a text file. createXxxMessage checks each file locally (exists, not
 * empty, within Tencent's limits, a real JPG/GIF/PNG/BMP for images) without touching the
 * network; sendMessage uploads the bytes to `uploadUrl` (default serverUrl + "/files"), with
 * onSendMessageProgress events, then sends the element with its URL. The example prints each
 * sent element, shows what a bad file gets (6031, 7004), and reads the conversation back.
 *
 * Run it through ctest, or: python3 c_examples/with_server.py --server target/debug/v2im-server
 *                               -- build/media
 */
#include "example_util.h"

#include <unistd.h>

/* Progress events seen (any message). */
typedef struct events {
    ex_counter progress;     /* onSendMessageProgress events */
    ex_counter progress_100; /* ... with progress 100 */
} events;

static void on_event(void *user_data, const char *event_json)
{
    events *ev = (events *)user_data;
    char name[64] = "";
    long long p = -1;
    ex_json_copy_string(ex_json_member(event_json, "event"), name, sizeof name);
    if (strcmp(name, "onSendMessageProgress") == 0) {
        ex_counter_add(&ev->progress, 1);
        if (ex_json_int(ex_json_member(event_json, "data"), "progress", &p) && p == 100) {
            ex_counter_add(&ev->progress_100, 1);
        }
    }
}

static void put_le(unsigned char *p, unsigned long v, int bytes)
{
    int i;
    for (i = 0; i < bytes; i++) {
        p[i] = (unsigned char)((v >> (8 * i)) & 0xff);
    }
}

/* Writes `size` bytes from `data` to dir/name; the full path goes to `out`. */
static void write_file(const char *dir, const char *name, const unsigned char *data, size_t size,
                       char *out, size_t out_size)
{
    FILE *f;
    snprintf(out, out_size, "%s/%s", dir, name);
    f = fopen(out, "wb");
    EX_CHECK(f != NULL, "cannot create %s", out);
    EX_CHECK(fwrite(data, 1, size, f) == size, "cannot write %s", out);
    EX_CHECK(fclose(f) == 0, "cannot close %s", out);
}

/* A 24-bit BMP of w x h pixels with a colour gradient. Returns malloc'd bytes. */
static unsigned char *make_bmp(int w, int h, size_t *size)
{
    size_t row = ((size_t)w * 3 + 3) / 4 * 4;
    size_t n = 54 + row * (size_t)h;
    unsigned char *b = (unsigned char *)calloc(1, n);
    int x, y;
    EX_CHECK(b != NULL, "out of memory");
    b[0] = 'B';
    b[1] = 'M';
    put_le(b + 2, (unsigned long)n, 4);
    put_le(b + 10, 54, 4);
    put_le(b + 14, 40, 4);
    put_le(b + 18, (unsigned long)w, 4);
    put_le(b + 22, (unsigned long)h, 4);
    put_le(b + 26, 1, 2);
    put_le(b + 28, 24, 2);
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            unsigned char *px = b + 54 + row * (size_t)y + (size_t)x * 3;
            px[0] = (unsigned char)x;
            px[1] = (unsigned char)y;
            px[2] = (unsigned char)(x ^ y);
        }
    }
    *size = n;
    return b;
}

static unsigned char *make_noise(size_t n, unsigned seed)
{
    unsigned char *b = (unsigned char *)malloc(n);
    size_t i;
    EX_CHECK(b != NULL, "out of memory");
    for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
    return b;
}

/* Creates with `method` and `params`, sends to bob, prints the element; returns 1 if sent. */
static int send_one(v2im_client *client, const char *method, const char *params,
                    const char *elem_key)
{
    char id[128];
    char send_params[256];
    char *created = ex_call_ok(client, method, params);
    char *sent;
    ex_result r;
    int32_t rc;

    ex_created_id(created, id, sizeof id);
    free(created);
    snprintf(send_params, sizeof send_params, "{\"id\":\"%s\",\"receiver\":\"bob\"}", id);
    ex_result_init(&r);
    rc = v2im_call(client, "sendMessage", send_params, ex_result_cb, &r);
    EX_CHECK(rc == 0, "sendMessage refused: %d (%s)", (int)rc, v2im_error_str(rc));
    EX_CHECK(ex_result_wait(&r, EX_WAIT_SECONDS) == 0, "sendMessage: no callback");
    EX_CHECK(r.code == 0, "%s: sendMessage failed: %d (%s): %s", method, (int)r.code,
             v2im_error_str(r.code), r.json);
    sent = r.json;
    r.json = NULL;
    ex_result_destroy(&r);
    EX_CHECK(ex_json_has(sent, "\"status\":2"), "%s: status is not 2", method);
    EX_CHECK(ex_json_has(sent, "\"progress\":100"), "%s: progress is not 100", method);
    printf("%s sent; its %s:\n", method, elem_key);
    ex_print_json(stdout, ex_json_member(ex_json_member(sent, "data"), elem_key), 1);
    free(sent);
    return 1;
}

int main(void)
{
    char dir[] = "/tmp/v2im-media-XXXXXX";
    char image_path[256], sound_path[256], video_path[256], doc_path[256];
    char params[1024];
    char desc[256];
    unsigned char *bytes;
    size_t size;
    v2im_client *client;
    ex_result r;
    char *history;
    int32_t rc;
    events ev;
    const char *doc = "Minutes of the v2im meeting.\nMedia messages work.\n";

    ex_counter_init(&ev.progress);
    ex_counter_init(&ev.progress_100);
    EX_CHECK(mkdtemp(dir) != NULL, "mkdtemp failed");
    bytes = make_bmp(400, 300, &size);
    write_file(dir, "picture.bmp", bytes, size, image_path, sizeof image_path);
    free(bytes);
    bytes = make_noise(20000, 1);
    write_file(dir, "voice.m4a", bytes, 20000, sound_path, sizeof sound_path);
    free(bytes);
    bytes = make_noise(150000, 2);
    write_file(dir, "clip.mp4", bytes, 150000, video_path, sizeof video_path);
    free(bytes);
    write_file(dir, "minutes.txt", (const unsigned char *)doc, strlen(doc), doc_path,
               sizeof doc_path);

    printf("v2im %s\n", v2im_version());
    client = ex_client_new("alice");
    rc = v2im_set_event_callback(client, on_event, &ev, NULL);
    EX_CHECK(rc == 0, "v2im_set_event_callback: %d", (int)rc);

    /* Bad files are refused by the create itself, locally, with Tencent's codes. */
    snprintf(params, sizeof params, "{\"imagePath\":\"%s\"}", doc_path);
    ex_result_init(&r);
    rc = v2im_call(client, "createImageMessage", params, ex_result_cb, &r);
    EX_CHECK(rc == 0 && r.calls == 1, "createImageMessage not answered at once");
    EX_CHECK(r.code == 6031, "a text file as an image: %d, want 6031", (int)r.code);
    printf("createImageMessage of a text file: %d (%s) %s\n", (int)r.code,
           v2im_error_str(r.code), ex_desc(r.json, desc, sizeof desc));
    ex_result_destroy(&r);
    snprintf(params, sizeof params, "{\"filePath\":\"%s/missing.pdf\",\"fileName\":\"x.pdf\"}",
             dir);
    ex_result_init(&r);
    rc = v2im_call(client, "createFileMessage", params, ex_result_cb, &r);
    EX_CHECK(rc == 0 && r.code == 7004, "a missing file: %d, want 7004", (int)r.code);
    printf("createFileMessage of a missing file: %d (%s)\n", (int)r.code, v2im_error_str(r.code));
    ex_result_destroy(&r);

    /* One message of each kind. */
    snprintf(params, sizeof params, "{\"imagePath\":\"%s\",\"imageName\":\"picture.bmp\"}",
             image_path);
    send_one(client, "createImageMessage", params, "imageElem");
    snprintf(params, sizeof params, "{\"soundPath\":\"%s\",\"duration\":3}", sound_path);
    send_one(client, "createSoundMessage", params, "soundElem");
    snprintf(params, sizeof params,
             "{\"videoFilePath\":\"%s\",\"type\":\"mp4\",\"duration\":5,\"snapshotPath\":\"%s\"}",
             video_path, image_path);
    send_one(client, "createVideoMessage", params, "videoElem");
    snprintf(params, sizeof params, "{\"filePath\":\"%s\",\"fileName\":\"minutes.txt\"}",
             doc_path);
    send_one(client, "createFileMessage", params, "fileElem");

    /* The progress events trail the results a little. */
    EX_CHECK(ex_counter_wait(&ev.progress_100, 4, EX_WAIT_SECONDS) == 0,
             "not every message reported progress 100");
    printf("onSendMessageProgress: %ld events, 4 of them at 100\n", ex_counter_get(&ev.progress));

    /* bob's view of the conversation: the four media elements with their URLs. */
    history = ex_call_ok(client, "getC2CHistoryMessageList", "{\"userID\":\"bob\",\"count\":10}");
    EX_CHECK(ex_json_has(history, "\"elemType\":3"), "no image in the history");
    EX_CHECK(ex_json_has(history, "\"elemType\":4"), "no sound in the history");
    EX_CHECK(ex_json_has(history, "\"elemType\":5"), "no video in the history");
    EX_CHECK(ex_json_has(history, "\"elemType\":6"), "no file in the history");
    /* The picture's three renditions: origin 400x300, thumb 264x198, large = origin. */
    EX_CHECK(ex_json_has(history, "\"height\":198"), "no 198 px thumb in the history");
    printf("getC2CHistoryMessageList: image, sound, video and file messages are there\n");
    free(history);

    v2im_client_free(client);
    ex_counter_destroy(&ev.progress);
    ex_counter_destroy(&ev.progress_100);
    unlink(image_path);
    unlink(sound_path);
    unlink(video_path);
    unlink(doc_path);
    rmdir(dir);
    printf("media: OK\n");
    return 0;
}
