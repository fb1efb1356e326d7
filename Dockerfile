# syntax=docker/dockerfile:1
# One image for every service of the platform. APP selects the service:
#   docker build -t jpki-platform:dev .
#   docker run --rm -e APP=sp-tsm -e DATABASE_URL=... -e KAFKA_BROKERS=... jpki-platform:dev
# The services run as compiled JavaScript (tools/build/build.js, `npm run build`): the build stage has every
# dependency and the sources; the runtime stage has only the compiled output and the production dependencies
# (`npm ci --omit=dev`: no TypeScript, SWC, Jest or Nx). The build fails if compiled code requires a package that is
# not a production dependency.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: the committed lockfile with dev dependencies, the sources, then dist/node --------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# Every dependency, dev ones included: the build tools, and what the console's web app is built with (Vite, React,
# Mantine; `vite build --config apps/console/web/vite.config.mts` works in this stage). None of them is a production
# dependency: the services import none of them (deploy/test checks package.json against the image's imports).
# Install scripts are skipped; the SWC native binding comes from its platform-specific optional package in the lockfile.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts
COPY tsconfig.json tsconfig.base.json ./
COPY libs ./libs
COPY apps ./apps
COPY tools ./tools
COPY deploy/src ./deploy/src
# apps/<app>/src/main.ts -> dist/node/apps/<app>/src/main.js, plus the deploy tools (generate-keys, topics).
RUN node tools/build/build.js

# ---- deps: production dependencies only, from the same lockfile ----------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts

# ---- runtime ------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to node (graceful shutdown) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
# The compiled tree keeps the repository's layout: /app/apps/<app>/src/main.js, /app/tools/deploy/generate-keys.js.
COPY --from=build /app/dist/node ./
COPY tools/deploy/healthcheck.js ./tools/deploy/healthcheck.js

# Files stay root-owned and read-only for the service user (uid 1000 = "node" in the base image;
# numeric so Kubernetes can verify runAsNonRoot).
USER 1000:1000
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    KAFKAJS_NO_PARTITIONER_WARNING=1
ARG APP=""
ENV APP=${APP}

EXPOSE 7100 7200 7301 7302 7303 7304 7400 7500 7600 7700 7900
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "tools/deploy/healthcheck.js", "live"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# exec: node replaces the shell, so tini's SIGTERM reaches it directly. The .js.map files are in the image:
# NODE_OPTIONS=--enable-source-maps maps stack traces to the TypeScript lines (costs start time and memory).
CMD ["sh", "-c", "exec node \"apps/${APP:?set APP to the service to run (jpki-ca, sp-tsm, mno-tsm, se-tsm, vsim, lifecycle, rp-bank, rp-ticketing, rp-eapplication)}/src/main.js\""]
