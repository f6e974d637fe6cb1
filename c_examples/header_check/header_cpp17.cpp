// Header check, built as C++17 with -Wall -Wextra -Werror: v2im.h is usable from C++ (extern "C",
// no C-only constructs), alone and twice in one unit.
#include "v2im.h"
#include "v2im.h"

#include <cstdio>
#include <cstring>

namespace {
// A C++ lambda without captures converts to the C callback type.
const v2im_callback kCallback = [](void *, int32_t, const char *) {};
}  // namespace

int main()
{
    kCallback(nullptr, 0, "{}");
    const char *version = v2im_version();
    if (version == nullptr || version[0] == '\0' || v2im_error_str(0) == nullptr) {
        std::fprintf(stderr, "v2im_version or v2im_error_str returned nothing\n");
        return 1;
    }
#ifdef V2IM_VERSION_STRING
    if (std::strcmp(version, V2IM_VERSION_STRING) != 0) {
        std::fprintf(stderr, "header says %s, library says %s\n", V2IM_VERSION_STRING, version);
        return 1;
    }
#endif
    std::printf("v2im.h as C++17: ok (library %s)\n", version);
    return 0;
}
