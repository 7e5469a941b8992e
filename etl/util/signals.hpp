// SIGTERM and SIGINT only clear a run flag (as kcat does); loops check it and shut down in order.
#pragma once

namespace pinpipe::util {

void install_stop_signal_handlers();
bool stop_requested();
void request_stop();
void reset_stop_request();

}  // namespace pinpipe::util
