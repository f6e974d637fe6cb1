/*
 * Header check, built as C99 and as C11 with -Wall -Wextra -Wpedantic -Werror: v2im.h compiles
 * on its own (it is the first and only include), and twice in one unit (its include guard).
 */
#include "v2im.h"
#include "v2im.h"

#include <stdio.h>
#include <string.h>

int main(void)
{
    const char *version = v2im_version();
    const char *text = v2im_error_str(0);
    if (version == NULL || version[0] == '\0' || text == NULL) {
        fprintf(stderr, "v2im_version or v2im_error_str returned nothing\n");
        return 1;
    }
#ifdef V2IM_VERSION_STRING
    if (strcmp(version, V2IM_VERSION_STRING) != 0) {
        fprintf(stderr, "header says %s, library says %s\n", V2IM_VERSION_STRING, version);
        return 1;
    }
#endif
    printf("v2im.h as C %ld: ok (library %s)\n", (long)__STDC_VERSION__, version);
    return 0;
}
