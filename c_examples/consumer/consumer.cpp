// The C++17 wrapper from an installed tree (ctest consumer_pkgconfig and consumer_cmake):
// v2im.hpp finds "v2im.h" next to it, and a refused config throws v2im::Error with code 6017.
#include <v2im.hpp>

#include <iostream>

int main() {
    if (v2im::version() != V2IM_VERSION_STRING) {
        std::cerr << "header " << V2IM_VERSION_STRING << ", library " << v2im::version() << "\n";
        return 1;
    }
    try {
        v2im::Client client(R"({"userID":"alice"})");
        std::cerr << "a config without sdkAppID was accepted\n";
        return 1;
    } catch (const v2im::Error &e) {
        if (e.code() != V2IM_ERR_INVALID_PARAMETERS || e.desc().empty()) {
            std::cerr << "unexpected error " << e.code() << ": " << e.desc() << "\n";
            return 1;
        }
        std::cout << "v2im C++ consumer ok: version " << v2im::version() << ", bad config -> "
                  << e.code() << " (" << e.desc() << ")\n";
    }
    return 0;
}
