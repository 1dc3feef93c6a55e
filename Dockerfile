# syntax=docker/dockerfile:1
# CacheCluster node image. Build from the repository root and push where your cluster pulls from:
#   docker build -t <registry>/cachecluster:<tag> .
#   docker push <registry>/cachecluster:<tag>
# k8s/ runs it as a StatefulSet (README.md, "Kubernetes"). Alone, `docker run` starts a single node:
#   docker run --rm -p 6379:6379 -p 11211:11211 -p 8379:8379 -v cachecluster-data:/data <image>
# It runs as uid/gid 10001 and writes only /data (the SQLite journal) and /tmp.

# ---- build: restore (cached until a project file changes), then publish the server
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props ./
COPY src/Directory.Build.props src/
COPY src/CacheCluster.Core/CacheCluster.Core.csproj src/CacheCluster.Core/
COPY src/CacheCluster.Storage/CacheCluster.Storage.csproj src/CacheCluster.Storage/
COPY src/CacheCluster.Protocols/CacheCluster.Protocols.csproj src/CacheCluster.Protocols/
COPY src/CacheCluster.Persistence/CacheCluster.Persistence.csproj src/CacheCluster.Persistence/
COPY src/CacheCluster.Actors/CacheCluster.Actors.csproj src/CacheCluster.Actors/
COPY src/CacheCluster.Cluster/CacheCluster.Cluster.csproj src/CacheCluster.Cluster/
COPY src/CacheCluster.Server/CacheCluster.Server.csproj src/CacheCluster.Server/
RUN dotnet restore src/CacheCluster.Server/CacheCluster.Server.csproj
COPY src/ src/
RUN dotnet publish src/CacheCluster.Server/CacheCluster.Server.csproj -c Release -o /app --no-restore -p:UseAppHost=false

# ---- runtime: ASP.NET Core runtime only (Kestrel serves RESP, memcached and the admin HTTP port)
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN groupadd --gid 10001 cachecluster \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin cachecluster \
    && mkdir -p /data \
    && chown 10001:10001 /data
WORKDIR /app
# The application files stay owned by root: the node cannot modify its own code.
COPY --from=build /app ./
# The node sets its listeners itself; the base image's default ASP.NET port (8080) would only
# produce an "overriding address" warning.
ENV ASPNETCORE_HTTP_PORTS=
USER 10001:10001
VOLUME ["/data"]
# resp, memcached, admin (HTTP: /healthz /startupz /readyz /cluster /metrics /drain), cluster (node links)
EXPOSE 6379 11211 8379 7000
ENTRYPOINT ["dotnet", "/app/CacheCluster.Server.dll"]
# A single node on all interfaces; Kubernetes replaces this with its own args (k8s/statefulset.yaml).
CMD ["serve", "--bind", "0.0.0.0", "--data-dir", "/data"]
