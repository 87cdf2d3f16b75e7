# syntax=docker/dockerfile:1
# The okta-ocsf image: the Temporal worker by default, any other CLI command on request.
#   docker build -t okta-ocsf:local .
#   docker run --rm --env-file .env okta-ocsf:local            # the worker
#   docker run --rm --env-file .env okta-ocsf:local status     # another command
# Debian (glibc), not Alpine: the Temporal worker's native core (@temporalio/core-bridge) ships
# for glibc only.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies in their own layer: rebuilt only when the manifests change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    OKTA_OCSF_STATE_DIR=/var/lib/okta-ocsf
WORKDIR /app
# Owned by root and read-only to the app user: the code cannot be altered at run time.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The staging folder (src/sync/staging.ts) is the only place the worker writes; mount a volume
# here, shared by every worker of a task queue.
RUN mkdir -p /var/lib/okta-ocsf && chown node:node /var/lib/okta-ocsf
# The unprivileged user the node image provides (uid 1000).
USER node
ENTRYPOINT ["node", "dist/src/client.js"]
CMD ["worker"]
