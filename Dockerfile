# The flora-temporal worker (and CLI), running the compiled JavaScript: no TypeScript toolchain at run time.

# Build stage: every dependency, then `npm pack`, which runs the package's `prepare` script, `npm run
# build` (compiles dist/ and prebuilds the workflow bundle, so a worker restart does not re-bundle). The
# image then installs that tarball the way any user of the package does.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md CHANGELOG.md LICENSE ./
COPY bin ./bin
COPY docs ./docs
COPY examples ./examples
COPY scripts ./scripts
COPY src ./src
COPY test/fixtures/histories ./test/fixtures/histories
# The app: the tarball plus the Temporal SDK (peer dependencies) at exactly the versions of the lock file.
RUN npm pack --pack-destination /tmp \
  && mkdir /app \
  && node -e " \
    const lock = require('./package-lock.json'); \
    const peers = Object.keys(require('./package.json').peerDependencies).filter((n) => n !== '@temporalio/testing'); \
    const dependencies = { 'flora-temporal': 'file:/tmp/' + require('fs').readdirSync('/tmp').find((f) => f.endsWith('.tgz')) }; \
    for (const n of peers) dependencies[n] = lock.packages['node_modules/' + n].version; \
    require('fs').writeFileSync('/app/package.json', JSON.stringify({ private: true, dependencies }, null, 2));" \
  && cd /app && npm install --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app ./

# Where options.downloadTo saves outputs (a volume in docker-compose.yml), writable by the worker.
RUN mkdir -p /downloads && chown node:node /downloads

# The worker needs no privileges.
USER node

ENTRYPOINT ["node", "node_modules/flora-temporal/bin/flora-temporal.js"]
CMD ["worker"]
