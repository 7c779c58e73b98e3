{{/* Names, labels and the image reference shared by every template. */}}

{{- define "agent-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "agent-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "agent-operator.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "agent-operator.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "agent-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agent-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "agent-operator.labels" -}}
{{ include "agent-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: agent-runtime
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "agent-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "agent-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "agent-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "agent-operator.leaseName" -}}
{{- default (printf "%s-leader" (include "agent-operator.fullname" .)) .Values.leaderElection.leaseName -}}
{{- end -}}

{{/*
The API calls agent-operator makes in the namespaces it watches. Keep in step with
Sources/Operator/RBACRequirements.swift and manifests/rbac/cluster_role.yaml; Tests/OperatorTests/ChartRBACTests.swift
compares all three with the calls a running operator makes.
*/}}
{{- define "agent-operator.rules" -}}
# Informer (reads come from its cache); finalizer add/remove (patch); ttlSecondsAfterFinished (delete);
# the runtime API's POST /spawn (create) and POST /stop (delete).
- apiGroups: [parallax.ai]
  resources: [agentsessions]
  verbs: [list, watch, create, patch, delete]
# Status writes are merge patches of the status subresource.
- apiGroups: [parallax.ai]
  resources: [agentsessions/status]
  verbs: [patch]
# Owner references with blockOwnerDeletion need update on the owner's finalizers.
- apiGroups: [parallax.ai]
  resources: [agentsessions/finalizers]
  verbs: [update]
# The agent pod: informer, create, delete (drift, failure, cleanup), get after a racing create.
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, delete]
# The credentials Secret, and reading spec.mcp.keySecretRef.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, update, delete]
# workspace.size: the session's workspace claim.
- apiGroups: [""]
  resources: [persistentvolumeclaims]
  verbs: [create]
# Events, and their repeat counts.
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end -}}
