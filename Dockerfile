# Builds Relay from this repository; the same image runs the processor or the ingress:
#   docker build -t relay . && docker run relay processor --config /config/config.json
FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests -pl launcher -am package

FROM eclipse-temurin:21-jre
WORKDIR /app
COPY --from=build /src/launcher/target/relay-launcher.jar /app/relay-launcher.jar
COPY --from=build /src/launcher/target/classpath.txt /app/classpath.txt
COPY --from=build /root/.m2/repository /root/.m2/repository
COPY config.example.json /app/config.example.json
ENV RELAY_JAVA_OPTS="-Xmx1g"
ENTRYPOINT ["sh", "-c", "exec java $RELAY_JAVA_OPTS --enable-native-access=ALL-UNNAMED -Drelay.home=/app -cp /app/relay-launcher.jar:$(cat /app/classpath.txt) dev.relay.launcher.RelayMain \"$@\"", "relay"]
