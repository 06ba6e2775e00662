# The stream worker image, k2-platform:<build id>. Temporal, Kafka and Prometheus run elsewhere
# (docker-compose.yml). It builds offline from the checkout as it is after `npm ci`: node_modules
# comes from the build context, not from a registry, so a build takes seconds and the project's
# tests build it from a local base image:
#   docker build --network host --build-arg BASE_IMAGE=local/node20:20.20.2 --build-arg BUILD_ID=B -t k2-platform:B .
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY . .
# The workflow bundle is built with the image, from the same dist/, so the worker does not run
# webpack at every start (2 s and a second process of ~150 MB next to it). Dev dependencies are
# dropped offline: the lock file says which they are.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && node dist/workers/workflow-bundle.js > dist/workflow-bundle.json \
 && npm prune --omit=dev --offline --no-audit --no-fund

FROM ${BASE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.json
# Records and logs of the worker (lib/paths.ts) go where the unprivileged user can write.
ENV K2_STATE_DIR=/tmp/k2-state
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schemas ./schemas
USER node
EXPOSE 9091 9464
STOPSIGNAL SIGTERM
# Last, so images of two builds of one checkout share every layer above.
ARG BUILD_ID=unknown
ENV BUILD_ID=${BUILD_ID}
LABEL org.opencontainers.image.title="k2-stream" org.opencontainers.image.version="${BUILD_ID}"
# `k2 worker` starts the worker with its memory bounds (worker_heap_mb, worker_semi_space_mb,
# malloc_arena_max): it relaunches itself once with those node flags and that environment and
# stays as the first node process (~12 MB), forwarding signals and the exit code.
CMD ["node", "bin/k2.js", "worker"]
