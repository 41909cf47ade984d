# syntax=docker/dockerfile:1
# The tokenrelay processor: built from this repository with Maven, run on a JRE as a non-root user.
#
#   docker build -t tokenrelay .
#   docker run --rm -v ./config/docker.yaml:/config/tokenrelay.yaml:ro tokenrelay
#
# docker-compose.yml builds and runs it next to a Kafka broker.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# The poms first, so that a change of code alone does not fetch the dependencies again. The cli
# module assembles the runnable jar at processor/target/tokenrelay.jar.
COPY pom.xml ./
COPY schemas/pom.xml schemas/
COPY core/pom.xml core/
COPY testkit/pom.xml testkit/
COPY processor/pom.xml processor/
COPY cli/pom.xml cli/
COPY schemas/src schemas/src
COPY core/src core/src
COPY testkit/src testkit/src
COPY processor/src processor/src
COPY cli/src cli/src
# The start script's JVM options go into the jar too (the benchmark starts processors with them).
COPY bin bin
# The cache keeps ~/.m2 between builds (BuildKit, the default builder of Docker 23 and later).
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

# The Ubuntu-based Temurin JRE image: glibc for RocksDB's native library, and curl for the health check.
FROM eclipse-temurin:17-jre-noble
# A fixed, unprivileged user. /var/lib/tokenrelay is made and owned by it here, so that a named
# volume mounted there starts with that ownership (Docker copies it into a new volume) and the
# Kafka Streams state can be written.
RUN groupadd --system --gid 10001 tokenrelay \
    && useradd --system --uid 10001 --gid tokenrelay --home-dir /var/lib/tokenrelay --shell /usr/sbin/nologin tokenrelay \
    && mkdir -p /var/lib/tokenrelay /config \
    && chown tokenrelay:tokenrelay /var/lib/tokenrelay
COPY --from=build /src/processor/target/tokenrelay.jar /app/tokenrelay.jar
COPY --from=build /src/bin/tokenrelay /src/bin/jvm.options /app/bin/
USER tokenrelay
WORKDIR /var/lib/tokenrelay
VOLUME ["/var/lib/tokenrelay"]
# 9464: /metrics, /health/live, /health/ready (ops.port; ops.host must be 0.0.0.0 in a container).
EXPOSE 9464
# The start script runs java with bin/jvm.options, then JAVA_OPTS. It execs java, so java is PID 1
# and `docker stop` sends SIGTERM to it: the processor commits, leaves its consumer group and
# exits 0. MaxRAMPercentage sizes the heap from the container's memory limit.
ENV TOKENRELAY_JAR=/app/tokenrelay.jar \
    JAVA_OPTS="-XX:MaxRAMPercentage=75"
ENTRYPOINT ["/app/bin/tokenrelay"]
CMD ["run", "--config", "/config/tokenrelay.yaml"]
