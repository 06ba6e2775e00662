# The stream worker image. Temporal, Kafka and Prometheus run elsewhere (docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The workflow bundle is built with the image, from the same dist/, so the worker does not run
# webpack at every start (2 s and a second process of ~150 MB next to it).
RUN npx tsc -p tsconfig.build.json \
 && node dist/workers/workflow-bundle.js > dist/workflow-bundle.json \
 && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schemas ./schemas
USER node
EXPOSE 9091 9464
STOPSIGNAL SIGTERM
# `k2 worker` starts the worker with its memory bounds (worker_heap_mb, worker_semi_space_mb,
# malloc_arena_max): it relaunches itself once with those node flags and that environment and
# stays as PID 1 (~12 MB), forwarding signals and the exit code.
CMD ["node", "bin/k2.js", "worker"]
