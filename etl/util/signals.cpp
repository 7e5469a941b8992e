#include "util/signals.hpp"

#include <csignal>

namespace pinpipe::util {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int /*signal_number*/) {
    g_stop = 1;
}

}  // namespace

void install_stop_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
}

bool stop_requested() {
    return g_stop != 0;
}
void request_stop() {
    g_stop = 1;
}
void reset_stop_request() {
    g_stop = 0;
}

}  // namespace pinpipe::util
