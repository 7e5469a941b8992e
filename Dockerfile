# The pinpipe image. Stage 1 is Debian bookworm with exactly the packages CI installs: it runs
# .ci/install-deps, which reads .ci/packages.txt, so the list lives in one place. Stage 2 is
# bookworm-slim with only the shared libraries the built binary links (found by
# deploy/runtime-packages.sh from ldd: libpqxx-6.4 and libpq5 among them), so that the running
# image carries no compiler.
#
#   docker build -t pinpipe .
#   docker run --rm pinpipe --help

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
COPY .ci/install-deps .ci/packages.txt /src/.ci/
RUN bash /src/.ci/install-deps && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
# Tests and benchmarks run in CI (.ci/run), not in the image build.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DPINPIPE_BUILD_TESTS=OFF -DPINPIPE_BUILD_BENCH=OFF \
 && cmake --build /build \
 && install -m 0755 /build/pinpipe /usr/local/bin/pinpipe \
 && bash deploy/runtime-packages.sh /usr/local/bin/pinpipe > /runtime-packages.txt \
 && cat /runtime-packages.txt

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /runtime-packages.txt /tmp/runtime-packages.txt
# ca-certificates: SASL_SSL brokers and sslmode=verify-full need the system trust store.
RUN apt-get update -qq \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y -qq --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /usr/local/bin/pinpipe /usr/local/bin/pinpipe
RUN useradd --system --no-create-home --shell /usr/sbin/nologin pinpipe
USER pinpipe
ENTRYPOINT ["pinpipe"]
CMD ["--help"]
