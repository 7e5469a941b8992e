// Exception types whose kind decides the exit code in main (rule 4: main alone picks it).
#pragma once

#include <stdexcept>
#include <string>

namespace pinpipe {

// Bad command line or configuration: exit status 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace pinpipe
