# syntax=docker/dockerfile:1
# Production image: multi-stage, non-root, read-only-filesystem friendly (writes only to /data when SQLite is used).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 and argon2 ship prebuilt binaries for linux-x64; the toolchain is here in case one must compile.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 FOOTFALL_DATA_DIR=/data
# A larger young generation: the worker and ingest make short-lived garbage per event, and with V8's default
# (16 MB semi-spaces) collection took a fifth of the worker's time. 64 MB cut the worker's CPU per stored event
# by about a tenth, for up to 100 MB more memory per process (docs/DEPLOY.md). npm run bench:ingest runs the
# processes it measures with this line's NODE_OPTIONS.
ENV NODE_OPTIONS="--max-semi-space-size=64"
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/examples ./examples
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Tini-like signal handling is not needed: node is PID 1 only for `serve`, which handles SIGTERM itself.
ENTRYPOINT ["node", "bin/footfall.js"]
CMD ["serve", "--role", "all"]
