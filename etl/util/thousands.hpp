// Counts for people: 1234567 -> "1,234,567", so that millions are read at a glance (status
// tables, retention's report, the status line).
#pragma once

#include <cstdint>
#include <string>

namespace pinpipe::util {

std::string group_thousands(int64_t value);

}  // namespace pinpipe::util
