{{/* Chart name, overridable. */}}
{{- define "opsgenie-port.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name: the release name, plus the chart name unless the release already has it. */}}
{{- define "opsgenie-port.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "opsgenie-port.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "opsgenie-port.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "opsgenie-port.selectorLabels" -}}
app.kubernetes.io/name: {{ include "opsgenie-port.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "opsgenie-port.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "opsgenie-port.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The Secret holding credentials: the user's existingSecret, or the chart's own. */}}
{{- define "opsgenie-port.secretName" -}}
{{- default (include "opsgenie-port.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "opsgenie-port.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* OCEAN__PATH_PREFIX without a trailing slash ("" when unset). */}}
{{- define "opsgenie-port.pathPrefix" -}}
{{- trimSuffix "/" .Values.pathPrefix }}
{{- end }}

{{/*
Pod and container settings the Deployment (`serve`) and the CronJob (`sync`) share, so both read
the same ConfigMap and Secret and run under the same security context.
*/}}
{{- define "opsgenie-port.podSettings" -}}
automountServiceAccountToken: false
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "opsgenie-port.podScheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "opsgenie-port.containerImage" -}}
image: {{ include "opsgenie-port.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end }}

{{- define "opsgenie-port.containerEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "opsgenie-port.fullname" . }}
  - secretRef:
      name: {{ include "opsgenie-port.secretName" . }}
{{- with .Values.extraEnv }}
env:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "opsgenie-port.containerLimits" -}}
{{- with .Values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.containerSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod labels: the selector labels plus podLabels. */}}
{{- define "opsgenie-port.podLabels" -}}
{{ include "opsgenie-port.selectorLabels" . }}
{{- with .Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}
