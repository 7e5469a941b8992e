// pinpipe's version (the project() version of CMakeLists.txt), from a generated source.
#pragma once

#include <string_view>

namespace pinpipe {

std::string_view version();

}  // namespace pinpipe
