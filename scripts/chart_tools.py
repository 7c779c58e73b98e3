#!/usr/bin/env python3
"""Chart and manifest checks with real Helm and the Kubernetes schemas (run with .venv-tools/bin/python).

  lint CHART [-f VALUES]...              helm lint: Helm v3 (helm-sdkpy) with the chart's defaults, then Helm v4
                                         (helm-python-sdk, strict) with each values file; warnings fail
  render CHART [-f VALUES]... [--name N] [--namespace NS] [--crds] [--set-json JSON]
                                         helm template (Helm v4 offline render) as multi-document YAML on stdout
  validate [--k8s V]... FILE...          every document against the Kubernetes OpenAPI schemas, strictly;
                                         kinds without a bundled schema are listed, not failed
  parse FILE...                          every YAML document of every file parses
  rbac FILE...                           the group|resource|verb triples the Roles and ClusterRoles in FILEs grant
  served --kinds KINDS FILE...           the documents whose apiVersion/kind is in KINDS (a file of such lines),
                                         on stdout; the others are named on stderr
  operator-args FILE --workdir D ...     the operator Deployment's args, rewritten to run the real binary here:
                                         its ConfigMap's config written to D, listen addresses on loopback
  same-deployment A B                    the Deployments in A and B run the same pod (labels, annotations and
                                         kustomize's ConfigMap hash suffix aside)
  doc-block MARKDOWN FIRST-LINE          the fenced block of MARKDOWN whose first line is FIRST-LINE, on stdout
                                         (so the docs' examples are the ones checked)
"""
import argparse
import asyncio
import json
import sys

import yaml


def fail(msg):
    print(f"chart_tools: {msg}", file=sys.stderr)
    sys.exit(1)


def load_values(files, set_json=None):
    values = {}
    for f in files or []:
        with open(f) as fh:
            merge(values, yaml.safe_load(fh) or {})
    if set_json:
        merge(values, json.loads(set_json))
    return values


def merge(into, extra):
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            merge(into[k], v)
        else:
            into[k] = v


def cmd_lint(a):
    import helm_python
    import helm_sdkpy

    # helm-sdkpy returns the messages' severities but its errors serialize as {}: take the texts from
    # helm-python-sdk's lint of the same chart.
    result = asyncio.run(helm_sdkpy.Lint(helm_sdkpy.Configuration(namespace="agent-runtime")).run(a.chart))
    bad = [m for m in result.get("Messages") or [] if m.get("Severity", 0) >= 2]
    runs = [("defaults", None)] + [(f, f) for f in a.values or []]
    failed = bool(bad or result.get("Errors"))
    for label, f in runs:
        r = helm_python.chart.lint(a.chart, load_values([f] if f else []), strict=True, namespace="agent-runtime")
        for m in r.get("messages") or []:
            sev = {1: "INFO", 2: "WARNING", 3: "ERROR"}.get(m.get("severity"), "?")
            print(f"  [{sev}] {label}: {m.get('path')}: {m.get('error')}")
        failed = failed or bool(r.get("errors")) or any((m.get("severity") or 0) >= 2 for m in r.get("messages") or [])
    print(f"helm lint ({helm_sdkpy.get_version()}, Helm v3; helm-python-sdk, Helm {helm_python.helm_sdk_version()}): "
          f"{'FAILED' if failed else 'ok'} ({len(runs)} value sets)")
    if failed:
        sys.exit(1)


def cmd_render(a):
    import helm_python

    chart = helm_python.Chart.load(a.chart)
    values = load_values(a.values, a.set_json)
    chart.validate_schema(values)
    docs = []
    if a.crds:
        docs += [c["data"] for c in sorted(chart.crds, key=lambda c: c["name"])]
    rendered = chart.render(values, name=a.name, namespace=a.namespace, is_install=True)
    for path in sorted(rendered):
        if path.endswith(".yaml") and rendered[path].strip():
            docs.append(f"# Source: {path}\n{rendered[path].strip()}\n")
    sys.stdout.write("---\n".join(d if d.endswith("\n") else d + "\n" for d in docs))


def documents(files):
    for f in files:
        with open(f) as fh:
            for i, doc in enumerate(yaml.safe_load_all(fh)):
                if doc is not None:
                    yield f, i, doc


def cmd_parse(a):
    n = 0
    for f in a.files:
        try:
            with open(f) as fh:
                n += sum(1 for _ in yaml.safe_load_all(fh))
        except yaml.YAMLError as e:
            fail(f"{f}: {e}")
    print(f"YAML: {len(a.files)} files, {n} documents parse")


def cmd_validate(a):
    import kubernetes_validate as kv

    errors, skipped, checked = [], set(), 0
    for f, i, doc in documents(a.files):
        for version in a.k8s or ["1.37.0"]:
            try:
                kv.validate(doc, version, strict=True)
                checked += 1
            except kv.SchemaNotFoundError:
                skipped.add(f"{doc.get('apiVersion')}/{doc.get('kind')}")
            except kv.ValidationError as e:
                where = "/".join(str(p) for p in e.path)
                errors.append(f"{f}#{i} {doc.get('kind')}/{doc.get('metadata', {}).get('name')} (k8s {version}): {where}: {e.message}")
    for e in errors:
        print(f"  INVALID {e}")
    note = f"; no bundled schema for {', '.join(sorted(skipped))}" if skipped else ""
    print(f"kubernetes-validate {kv.__version__ if hasattr(kv, '__version__') else ''} strict, k8s {', '.join(a.k8s or ['1.37.0'])}: "
          f"{checked} checks, {len(errors)} invalid{note}")
    if errors:
        sys.exit(1)


def cmd_rbac(a):
    triples = set()
    for _, _, doc in documents(a.files):
        if doc.get("kind") not in ("Role", "ClusterRole"):
            continue
        for rule in doc.get("rules") or []:
            for g in rule.get("apiGroups", []):
                for r in rule.get("resources", []):
                    for v in rule.get("verbs", []):
                        triples.add(f"{g}|{r}|{v}")
    print("\n".join(sorted(triples)))


def cmd_served(a):
    with open(a.kinds) as fh:
        kinds = {line.strip() for line in fh if line.strip()}
    out, skipped = [], []
    for f, _, doc in documents(a.files):
        key = f"{doc.get('apiVersion')}/{doc.get('kind')}"
        (out if key in kinds else skipped).append(doc if key in kinds else f"{key} {doc['metadata'].get('name')}")
    sys.stdout.write(yaml.safe_dump_all(out, sort_keys=False))
    if skipped:
        print(f"  not served by kube-emulator (checked by kubernetes-validate only): {', '.join(sorted(set(skipped)))}",
              file=sys.stderr)


def deployment(files):
    found = [doc for _, _, doc in documents(files) if doc.get("kind") == "Deployment"]
    if len(found) != 1:
        fail(f"expected one Deployment in {files}, found {len(found)}")
    return found[0]


def cmd_operator_args(a):
    docs = [doc for _, _, doc in documents(a.files)]
    pod = deployment(a.files)["spec"]["template"]["spec"]
    container = pod["containers"][0]
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    config_map = volumes[mounts["/etc/agent-operator/config"]]["configMap"]["name"]
    data = next(d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == config_map)["data"]
    with open(f"{a.workdir}/config.yaml", "w") as fh:
        fh.write(data["config.yaml"])
    listen = {"--metrics-addr": a.metrics, "--health-addr": a.health, "--api-addr": a.api}
    args = ["--kubeconfig", a.kubeconfig]
    for arg in container["args"]:
        name, _, _ = arg.partition("=")
        if name == "--config":
            arg = f"--config={a.workdir}/config.yaml"
        elif name in listen:
            arg = f"{name}=127.0.0.1:{listen[name]}"
        elif name.startswith("--etcd-") or name in ("--registry-prefix", "--api-token-file"):
            continue  # Secrets and etcd are not part of this check (the operator e2e tests run etcd)
        args.append(arg)
    print("\n".join(args))


def cmd_same_deployment(a):
    import re

    def normalized(doc):
        pod = json.loads(json.dumps(doc["spec"]["template"]["spec"]))
        for v in pod.get("volumes", []):
            if "configMap" in v:
                v["configMap"]["name"] = re.sub(r"-[a-z0-9]{10}$", "", v["configMap"]["name"])
        spec = {k: v for k, v in doc["spec"].items() if k != "template"}
        return {"spec": spec, "pod": pod}

    left, right = normalized(deployment([a.a])), normalized(deployment([a.b]))
    if left != right:
        fail(f"the Deployments differ:\n--- {a.a}\n{yaml.safe_dump(left)}\n--- {a.b}\n{yaml.safe_dump(right)}")
    print(f"Deployment: {a.a} and {a.b} run the same pod")


def cmd_doc_block(a):
    text = open(a.markdown).read()
    for block in text.split("```")[1::2]:
        body = block.split("\n", 1)[1] if "\n" in block else ""
        if body.startswith(a.first_line + "\n"):
            sys.stdout.write(body)
            return
    fail(f"{a.markdown}: no code block starting with {a.first_line!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("lint")
    s.add_argument("chart")
    s.add_argument("-f", "--values", action="append")
    s.set_defaults(fn=cmd_lint)
    s = sub.add_parser("render")
    s.add_argument("chart")
    s.add_argument("-f", "--values", action="append")
    s.add_argument("--set-json")
    s.add_argument("--name", default="agent-operator")
    s.add_argument("--namespace", default="agent-runtime")
    s.add_argument("--crds", action="store_true")
    s.set_defaults(fn=cmd_render)
    s = sub.add_parser("parse")
    s.add_argument("files", nargs="+")
    s.set_defaults(fn=cmd_parse)
    s = sub.add_parser("validate")
    s.add_argument("--k8s", action="append")
    s.add_argument("files", nargs="+")
    s.set_defaults(fn=cmd_validate)
    s = sub.add_parser("rbac")
    s.add_argument("files", nargs="+")
    s.set_defaults(fn=cmd_rbac)
    s = sub.add_parser("served")
    s.add_argument("--kinds", required=True)
    s.add_argument("files", nargs="+")
    s.set_defaults(fn=cmd_served)
    s = sub.add_parser("operator-args")
    s.add_argument("files", nargs="+")
    for flag in ("--workdir", "--kubeconfig", "--metrics", "--health", "--api"):
        s.add_argument(flag, required=True)
    s.set_defaults(fn=cmd_operator_args)
    s = sub.add_parser("same-deployment")
    s.add_argument("a")
    s.add_argument("b")
    s.set_defaults(fn=cmd_same_deployment)
    s = sub.add_parser("doc-block")
    s.add_argument("markdown")
    s.add_argument("first_line")
    s.set_defaults(fn=cmd_doc_block)
    a = p.parse_args()
    try:
        a.fn(a)
    except Exception as e:  # Helm's errors carry the template position; print them as one line
        if type(e).__module__.startswith(("helm_python", "helm_sdkpy")):
            fail(f"{type(e).__name__}: {e}")
        raise


if __name__ == "__main__":
    main()
