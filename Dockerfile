# syntax=docker/dockerfile:1
# agent-relay app image. Build stage compiles TypeScript; the runtime stage carries only
# production dependencies and dist/.

FROM node:20 AS build
WORKDIR /app
# Dependencies first so source edits don't invalidate the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
CMD ["node", "dist/main.js"]
