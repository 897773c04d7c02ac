# The flora-temporal worker (and CLI). Runs the TypeScript sources through tsx, as `npx flora-temporal` does.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src

# Where options.downloadTo saves outputs (a volume in docker-compose.yml), writable by the worker.
RUN mkdir -p /downloads && chown node:node /downloads

# The worker needs no privileges.
USER node

ENTRYPOINT ["node", "bin/flora-temporal.js"]
CMD ["worker"]
