# syntax=docker/dockerfile:1
# The image runs our own packed release (npm pack), installed with --omit=dev: no development toolchain at run time.
#   docker build --build-arg GITWEAVE_COMMIT=$(git rev-parse HEAD) -t gitweave-releases .
#   docker run -p 3000:3000 -v gitweave-data:/data gitweave-releases      (the embedded Postgres under /data)
# Both steps are scripts/image-steps.sh, which test/e2e/image.test.ts runs too.

# build: every dependency, npm pack (which builds dist/)
FROM node:24-slim AS build
WORKDIR /src
COPY . .
ARG GITWEAVE_COMMIT
ENV GITWEAVE_COMMIT=${GITWEAVE_COMMIT}
RUN sh scripts/image-steps.sh build /src /out

# run: the tarball, with the production dependencies its lockfile names (the versions tested), as an unprivileged user
FROM node:24-slim
COPY --from=build /src/scripts/image-steps.sh /out/ /tmp/release/
RUN sh /tmp/release/image-steps.sh install /tmp/release/gitweave-releases.tgz /tmp/release/package-lock.json /opt/gitweave-releases \
  && rm -rf /tmp/release /root/.npm \
  && mkdir -p /data/artifacts \
  && chown -R node:node /data
ENV NODE_ENV=production \
    DATA_DIR=/data \
    ARTIFACTS_DIR=/data/artifacts \
    HOST=0.0.0.0 \
    PORT=3000 \
    PATH=/opt/gitweave-releases/node_modules/.bin:$PATH
USER node
WORKDIR /data
VOLUME ["/data", "/data/artifacts"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/api/v1/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# the release's own command, PID 1's child under docker run --init (compose sets init): SIGTERM answers the
# requests in flight, then stops the embedded Postgres if it started one
ENTRYPOINT ["gitweave-releases"]
CMD ["serve"]
