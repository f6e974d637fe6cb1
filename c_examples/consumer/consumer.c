/*
 * A tiny program built against an *installed* libv2im (ctest consumer_pkgconfig and
 * consumer_cmake): the header and the library of the install tree agree on the version, and a
 * client with a bad config is refused with 6017 and a desc, without touching *out_client.
 */
#include <v2im.h>

#include <stdio.h>
#include <string.h>

static void on_new(void *user_data, int32_t code, const char *result_json)
{
    (void)code;
    if (strstr(result_json, "\"desc\"") != NULL) {
        *(int *)user_data = 1;
    }
}

int main(void)
{
    const char *version = v2im_version();
    v2im_client *client = NULL;
    int got_result = 0;
    int32_t rc;

    if (strcmp(version, V2IM_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s, library %s\n", V2IM_VERSION_STRING, version);
        return 1;
    }
    rc = v2im_client_new("{\"userID\":\"alice\"}", &client, on_new, &got_result);
    if (rc != V2IM_ERR_INVALID_PARAMETERS || client != NULL || !got_result) {
        fprintf(stderr, "bad config: code %d, client %p, result %d\n", (int)rc, (void *)client,
                got_result);
        return 1;
    }
    v2im_client_free(client); /* NULL: a no-op */
    printf("v2im consumer ok: version %s, bad config -> %d (%s)\n", version, (int)rc,
           v2im_error_str(rc));
    return 0;
}
