#include "bench/runbook_gen.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <string_view>
#include <vector>

namespace tminus::bench {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;
// The earliest not_before (open-bridge), so the plan's origin.
constexpr int64_t kOrigin = -4 * kHour;
// defaults.timeout in the header, in minutes.
constexpr int kDefaultTimeoutMinutes = 15;
// Below this many steps the runbook is one manual step, parallel checks and a milestone.
constexpr int kFullShapeSteps = 24;

// SplitMix64: small, fast and identical on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Percent(int p) { return static_cast<int>(Next() % 100) < p; }

 private:
  uint64_t state_;
};

// ------------------------------------------------------------------------- text helpers

int64_t CeilTo(int64_t seconds, int64_t unit) {
  int64_t q = seconds / unit;
  if (q * unit < seconds) ++q;
  return q * unit;
}

std::string Pad(int64_t v, int width) {
  std::string s = std::to_string(v);
  if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
  return s;
}

// "T-04:00", "T+00:15", "T+1234:30".
std::string TTime(int64_t seconds) {
  std::string out = seconds < 0 ? "T-" : "T+";
  const int64_t s = seconds < 0 ? -seconds : seconds;
  out += Pad(s / kHour, 2) + ":" + Pad((s % kHour) / kMinute, 2);
  if (s % kMinute != 0) out += ":" + Pad(s % kMinute, 2);
  return out;
}

// "5m", "1h", "1h30m".
std::string Duration(int minutes) {
  if (minutes < 60) return std::to_string(minutes) + "m";
  std::string out = std::to_string(minutes / 60) + "h";
  if (minutes % 60 != 0) out += std::to_string(minutes % 60) + "m";
  return out;
}

bool LooksLikeNumberOrKeyword(std::string_view s) {
  static const std::string_view kWords[] = {
      "true", "false", "True", "False", "TRUE", "FALSE", "null", "Null", "NULL",
      "~",    "yes",   "no",   "on",    "off",  "Yes",   "No",   "On",   "Off",
      "YES",  "NO",    "ON",   "OFF",   "y",    "n",     "Y",    "N"};
  for (std::string_view w : kWords) {
    if (s == w) return true;
  }
  int dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots <= 1;
}

// A scalar as a person writes it: plain when YAML reads it back as the same string (also
// inside a flow list), else quoted. Values with ${...} are quoted, as in the examples.
std::string Scalar(std::string_view s) {
  bool quote = s.empty() || LooksLikeNumberOrKeyword(s) || s.front() == ' ' || s.back() == ' ' ||
               s.back() == ':' || s.find("${") != std::string_view::npos ||
               s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos ||
               s.find_first_of(":?,[]{}\"'\\") != std::string_view::npos;
  if (!quote) {
    const char c = s.front();
    if (std::string_view("?:,[]{}#&*!|>'\"%@`").find(c) != std::string_view::npos) quote = true;
    if (c == '-' && (s.size() == 1 || s[1] == ' ')) quote = true;
  }
  if (!quote) return std::string(s);
  if (s.find('\\') != std::string_view::npos && s.find('\'') == std::string_view::npos) {
    return "'" + std::string(s) + "'";  // Windows paths, like 'C:\cutover\x.ps1'
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// "[a, b, c]" when it fits on a line, else one "- item" per line.
void AppendList(std::string* out, int indent, std::string_view key,
                const std::vector<std::string>& items, size_t max_flow_items = 64) {
  std::string flow = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) flow += ", ";
    flow += items[i];
  }
  flow += "]";
  out->append(indent, ' ');
  out->append(key);
  if (items.size() <= max_flow_items && indent + key.size() + 2 + flow.size() <= 140) {
    *out += ": " + flow + "\n";
    return;
  }
  *out += ":\n";
  for (const std::string& item : items) {
    out->append(indent + 2, ' ');
    *out += "- " + item + "\n";
  }
}

// Writes "key: value" lines (separated by '\n' in `lines`) at `indent`.
void AppendLines(std::string* out, int indent, std::string_view lines) {
  if (lines.empty()) return;
  for (std::string_view line : Split(lines, '\n')) {
    out->append(indent, ' ');
    out->append(line);
    *out += '\n';
  }
}

// ---------------------------------------------------------------------------- templates

enum class Kind { kTask, kCheck, kManual };

// One step as a stream's playbook writes it, with placeholders filled per application:
// {app} (orders-3), {db} (orders_3), {APP} (ORDERS_3), {ip} and {oldip} (its new and old
// VIP) and {n} (01, 02, ... for repeats).
struct Template {
  Kind kind = Kind::kTask;
  const char* stem = "";
  const char* title = "";
  int minutes = 0;               // planned duration; 0: left out (defaults.duration)
  const char* on = "";           // target; "<name" merges the x- anchor (on and env)
  const char* run = "";          // cmd:a|b|c, sh:text, http:url, tcp:host:port, dns:name=address
  const char* env = "";          // "*anchor" or "NAME=value;NAME=value"
  const char* rollback = "";     // as run, on the same target with the same env
  int rollback_minutes = 0;      // 0: left out (the step's duration)
  int timeout_minutes = 0;       // 0: left out (defaults.timeout, 15m)
  const char* opts = "";         // step keys before run, "key: value" lines
  const char* expect = "";       // "{...}" or "key: value" lines
  const char* owner = "";        // default: the stream's role
  const char* signoff = "";      // manual: lines under signoff
  const char* stream = "";       // pre-check and tail templates: their stream
  bool join = false;             // needs the latest step of every earlier lane of the wave
  int not_before_min = INT_MIN;  // pre-checks: not_before, minutes from T0

  Template& Env(const char* e) {
    env = e;
    return *this;
  }
  Template& Rollback(const char* r, int minutes = 0) {
    rollback = r;
    rollback_minutes = minutes;
    return *this;
  }
  Template& Timeout(int minutes) {
    timeout_minutes = minutes;
    return *this;
  }
  Template& Opts(const char* o) {
    opts = o;
    return *this;
  }
  Template& Expect(const char* e) {
    expect = e;
    return *this;
  }
  Template& Owner(const char* o) {
    owner = o;
    return *this;
  }
  Template& Stream(const char* s) {
    stream = s;
    return *this;
  }
  Template& Join() {
    join = true;
    return *this;
  }
  Template& NotBefore(int minutes) {
    not_before_min = minutes;
    return *this;
  }
};

Template Task(const char* stem, const char* title, int minutes, const char* on, const char* run) {
  Template t;
  t.kind = Kind::kTask;
  t.stem = stem;
  t.title = title;
  t.minutes = minutes;
  t.on = on;
  t.run = run;
  return t;
}

Template Check(const char* stem, const char* title, int minutes, const char* on, const char* run) {
  Template t = Task(stem, title, minutes, on, run);
  t.kind = Kind::kCheck;
  return t;
}

Template Manual(const char* stem, const char* title, int minutes, const char* owner,
                const char* signoff = "") {
  Template t;
  t.kind = Kind::kManual;
  t.stem = stem;
  t.title = title;
  t.minutes = minutes;
  t.owner = owner;
  t.signoff = signoff;
  return t;
}

enum StreamId { kNetwork, kSecurity, kStorage, kDatabase, kCompute, kApplication, kStreams };
const char* const kStreamName[kStreams] = {"network",  "security", "storage",
                                           "database", "compute",  "application"};
const char* const kStreamCode[kStreams] = {"net", "sec", "sto", "db", "cmp", "app"};
const char* const kStreamRole[kStreams] = {"network", "security", "storage",
                                           "dba",     "compute",  "app-owner"};

// Each stream's playbook for one application, in the order the steps are done.
const std::vector<Template>& Playbook(int stream) {
  static const std::vector<Template> kPlaybooks[kStreams] = {
      // network
      {
          Check("fw-rules-staged", "Panorama has the {app} security rules staged", 5, "net-ops",
                "cmd:/opt/cutover/bin/panos-policy-diff|--device-group|${panorama_dg}|"
                "--expect-staged|{APP}-CLOUD")
              .Env("*panorama_env"),
          Check("dns-ttl-low", "TTL of the {app} DNS record is 300s or less", 2, "net-ops",
                "cmd:/opt/cutover/bin/ibx-record|show|--name|{app}.${corp_domain}|--view|"
                "${dns_view}|--max-ttl|300")
              .Env("*infoblox_env"),
          Task("lb-backend-pool", "Create the {app} backend pool on the cloud load balancer", 5,
               "<cloud_cli",
               "cmd:az|network|lb|address-pool|create|--resource-group|${az_rg}|--lb-name|"
               "lb-{app}|--name|pool-{app}-{n}")
              .Rollback("cmd:az|network|lb|address-pool|delete|--resource-group|${az_rg}|"
                        "--lb-name|lb-{app}|--name|pool-{app}-{n}"),
          Task("maintenance-page-on", "Show the maintenance page on the DC1 {app} virtual server",
               5, "f5-dc1",
               "cmd:tmsh|modify|ltm|virtual|vs_{app}_https|rules|{ irule_maintenance }")
              .Rollback("cmd:tmsh|modify|ltm|virtual|vs_{app}_https|rules|none"),
          Task("fw-commit", "Commit the staged {app} rules on Panorama and push them to the edge",
               10, "net-ops",
               "cmd:/opt/cutover/bin/panos-commit|--device-group|${panorama_dg}|--description|"
               "${change_id} {app}")
              .Env("*panorama_env")
              .Rollback("cmd:/opt/cutover/bin/panos-revert|--device-group|${panorama_dg}|"
                        "--to-snapshot|pre-${change_id}")
              .Timeout(20),
          Task("dns-switch", "Point the {app} DNS record at the cloud VIP {ip}", 5, "net-ops",
               "cmd:/opt/cutover/bin/ibx-record|update|--name|{app}.${corp_domain}|--view|"
               "${dns_view}|--a|{ip}")
              .Env("*infoblox_env")
              .Rollback("cmd:/opt/cutover/bin/ibx-record|update|--name|{app}.${corp_domain}|"
                        "--view|${dns_view}|--a|{oldip}")
              .Opts("idempotent: true"),
          Task("resolver-flush", "Flush the {app} record from the internal resolver caches", 2,
               "dns-resolvers", "cmd:sudo|unbound-control|flush|{app}.${corp_domain}")
              .Opts("on_failure: continue\nidempotent: true"),
          Check("dns-verify", "Internal DNS answers {ip} for {app}", 2, "user-probes",
                "dns:{app}.${corp_domain}={ip}")
              .Opts("retries: {count: 5, delay: 1m}"),
          Check("vip-reachable", "The cloud VIP of {app} answers on 443 from the user network", 2,
                "user-probes", "tcp:{ip}:443")
              .Opts("retries: {count: 3, delay: 30s}"),
      },
      // security
      {
          Check("cert-validity", "TLS certificate of {app} is valid for 30+ days and matches", 2,
                "local",
                "cmd:/opt/cutover/bin/check-cert|--connect|{ip}:443|--sni|{app}.${corp_domain}|"
                "--min-days|30"),
          Check("service-account", "The cloud service account of {app} exists and is enabled", 5,
                "ad-tools",
                "cmd:powershell.exe|-NoProfile|-NonInteractive|-File|"
                "C:\\cutover\\Test-ServiceAccount.ps1|-Account|svc-{app}-cloud"),
          Task("move-spn", "Move the {app} Kerberos SPN to the cloud service account", 5,
               "ad-tools",
               "cmd:powershell.exe|-NoProfile|-NonInteractive|-File|C:\\cutover\\Move-Spn.ps1|"
               "-Spn|HTTP/{app}.${corp_domain}|-From|svc-{app}-dc1|-To|svc-{app}-cloud")
              .Rollback("cmd:powershell.exe|-NoProfile|-NonInteractive|-File|"
                        "C:\\cutover\\Move-Spn.ps1|-Spn|HTTP/{app}.${corp_domain}|-From|"
                        "svc-{app}-cloud|-To|svc-{app}-dc1"),
          Task("rotate-db-credential", "Rotate the {app} database credential in Key Vault", 5,
               "<cloud_cli",
               "cmd:az|keyvault|secret|set|--vault-name|${key_vault}|--name|{app}-db-password|"
               "--file|/run/cutover/{app}-db-password")
              .Opts("retries: 2"),
          Task("waf-policy", "Attach the WAF policy to the {app} listener", 5, "<cloud_cli",
               "cmd:az|network|application-gateway|http-listener|update|--resource-group|"
               "${az_rg}|--gateway-name|${appgw_name}|--name|{app}-https|--waf-policy|"
               "${waf_policy}")
              .Rollback("cmd:az|network|application-gateway|http-listener|update|"
                        "--resource-group|${az_rg}|--gateway-name|${appgw_name}|--name|"
                        "{app}-https|--remove|firewallPolicy"),
          Check("siem-sources", "The SIEM receives logs from the {app} cloud hosts", 5, "cloud-ops",
                "cmd:/opt/cutover/bin/check-siem-source|--source-group|{app}-cloud|--max-age|10m")
              .Opts("retries: {count: 3, delay: 2m}"),
          Check("vuln-scan",
                "Vulnerability scan of the {app} cloud hosts finds nothing above medium", 20,
                "cloud-ops",
                "cmd:/opt/cutover/bin/scan-report|--target-group|{app}-cloud|--max-severity|medium")
              .Timeout(40),
          Manual("security-review", "Security reviews the {app} exposure and signs off", 15,
                 "security", "by: [security]\nquorum: 1"),
      },
      // storage
      {
          Check("presync-age", "Last pre-sync of the {app} share finished less than 6h ago", 2,
                "file-sync",
                "cmd:/opt/cutover/bin/check-azcopy-job|--job|{app}-files|--max-age|6h|--status|"
                "Completed"),
          Check("snapshot-reserve", "DC1 volume {db}_data has snapshot reserve left", 2, "dc1-nas",
                "cmd:volume|show-space|-vserver|${svm}|-volume|{db}_data"),
          Task("export-read-only", "Make the DC1 {app} export read-only", 5, "dc1-nas",
               "cmd:vserver|export-policy|rule|modify|-vserver|${svm}|-policyname|{db}|"
               "-ruleindex|1|-rwrule|never")
              .Rollback("cmd:vserver|export-policy|rule|modify|-vserver|${svm}|-policyname|{db}|"
                        "-ruleindex|1|-rwrule|sys"),
          Task("snapshot-source", "Snapshot the DC1 {app} volume", 5, "dc1-nas",
               "cmd:volume|snapshot|create|-vserver|${svm}|-volume|{db}_data|-snapshot|"
               "pre_${change_id}_{n}"),
          Task("final-sync", "Final azcopy sync of the {app} share to Azure Files", 45, "file-sync",
               "cmd:azcopy|sync|/mnt/{app}|https://${storage_account}.file.core.windows.net/{app}|"
               "--recursive|--delete-destination=true|--log-level=WARNING")
              .Env("AZCOPY_AUTO_LOGIN_TYPE=SPN;AZCOPY_SPA_APPLICATION_ID=${azcopy_app_id};"
                   "AZCOPY_SPA_CLIENT_SECRET=${secrets.azcopy_sp_secret};"
                   "AZCOPY_TENANT_ID=${azure_tenant}")
              .Timeout(90)
              .Opts("retries: {count: 1, delay: 2m}"),
          Check("verify-sync", "Compare file counts, sizes and a checksum sample for {app}", 20,
                "file-sync",
                "cmd:/opt/cutover/bin/compare-trees|--source|/mnt/{app}|--dest|"
                "/mnt/azfiles/{app}|--checksum-sample|2000")
              .Timeout(40)
              .Expect("stdout_contains: 0 differences"),
          Task("mount-cloud-share", "Mount the {app} share on the cloud app servers", 5, "az-app",
               "cmd:sudo|mount|/srv/{app}/attachments")
              .Rollback("cmd:sudo|umount|/srv/{app}/attachments"),
          Check("share-writable", "The {app} share is writable from the cloud app servers", 2,
                "az-app",
                "sh:touch /srv/{app}/attachments/.cutover-probe && rm "
                "/srv/{app}/attachments/.cutover-probe"),
          Task("backup-policy", "Enable the Azure Files backup policy for {app}", 5, "<cloud_cli",
               "cmd:az|backup|protection|enable-for-azurefileshare|--resource-group|${az_rg}|"
               "--vault-name|${backup_vault}|--storage-account|${storage_account}|"
               "--azure-file-share|{app}|--policy-name|daily-35d")
              .Opts("on_failure: continue"),
      },
      // database
      {
          Check("replication-lag", "The cloud replica of {app} lags less than 30 seconds", 5,
                "cloud-db",
                "cmd:/opt/cutover/bin/check-replication-lag|--cluster|{db}|--max-lag|30s")
              .Env("*pg_env")
              .Opts("retries: {count: 3, delay: 1m}"),
          Task("source-read-only", "Set the DC1 {app} database to default read-only", 2, "dc1-db",
               "cmd:psql|-v|ON_ERROR_STOP=1|-d|{db}|-c|"
               "ALTER DATABASE {db} SET default_transaction_read_only = on")
              .Env("*pg_env")
              .Rollback("cmd:psql|-v|ON_ERROR_STOP=1|-d|{db}|-c|"
                        "ALTER DATABASE {db} RESET default_transaction_read_only"),
          Check("no-sessions", "No application sessions are left on the DC1 {app} database", 2,
                "dc1-db",
                "sh:test $$(psql -Atc \"SELECT count(*) FROM pg_stat_activity WHERE datname = "
                "'{db}' AND usename <> 'postgres'\") -eq 0")
              .Env("*pg_env")
              .Opts("retries: {count: 3, delay: 30s}"),
          Check("row-fingerprint", "Capture row counts and checksums of the {app} key tables", 10,
                "dc1-db",
                "cmd:/opt/cutover/bin/table-fingerprint|--dbname|{db}|--tables|"
                "/etc/cutover/{app}-key-tables.txt|--out|${backup_dir}/{app}-{n}-dc1.json")
              .Env("*pg_env"),
          Task("final-backup", "Final pre-cutover backup of the DC1 {app} database", 40, "dc1-db",
               "cmd:pg_basebackup|-h|localhost|-U|backup|-D|${backup_dir}/{app}-{n}|-Ft|-z|-X|"
               "stream|-c|fast|--label|pre-${change_id}")
              .Env("PGPASSWORD=${secrets.pg_replication_password}")
              .Timeout(90),
          Check("replica-caught-up", "The cloud replica of {app} replayed everything DC1 wrote", 5,
                "cloud-db",
                "cmd:/opt/cutover/bin/check-replication-lag|--cluster|{db}|--compare-lsn-with|"
                "pg-{app}.dc1.${corp_domain}|--max-bytes|0")
              .Env("*pg_env")
              .Opts("retries: {count: 5, delay: 30s}"),
          Task("stop-source", "Stop PostgreSQL for {app} on DC1 (fence the source)", 5, "dc1-db",
               "cmd:sudo|systemctl|stop|postgresql@${pg_version}-{db}")
              .Rollback("cmd:sudo|systemctl|start|postgresql@${pg_version}-{db}")
              .Opts("idempotent: true"),
          Task("promote-target", "Promote the cloud replica of {app} to primary", 5, "cloud-db",
               "cmd:sudo|-u|postgres|pg_ctlcluster|${pg_version}|{db}|promote")
              .Rollback("cmd:sudo|systemctl|stop|postgresql@${pg_version}-{db}")
              .Opts("on_failure: rollback\nidempotent: false"),
          Check("verify-promoted", "The cloud {app} database is out of recovery", 2, "cloud-db",
                "sh:test \"$$(psql -d {db} -Atc 'SELECT pg_is_in_recovery()')\" = f")
              .Env("*pg_env")
              .Opts("retries: {count: 5, delay: 20s}"),
          Check("compare-fingerprint", "Compare {app} key-table fingerprints, cloud against DC1",
                15, "cloud-db",
                "cmd:/opt/cutover/bin/table-fingerprint|--dbname|{db}|--tables|"
                "/etc/cutover/{app}-key-tables.txt|--compare|${backup_dir}/{app}-{n}-dc1.json")
              .Env("*pg_env")
              .Timeout(30)
              .Expect("{exit_code: 0, stdout_contains: tables match}"),
          Check("db-port-open", "The cloud {app} app servers reach the database", 2, "az-app",
                "tcp:pg-{app}.cloud.${corp_domain}:5432"),
      },
      // compute
      {
          Check("cloud-vms-ready", "The cloud VMs of {app} exist, deallocated and tagged", 5,
                "<cloud_cli",
                "cmd:/opt/cutover/bin/check-az-vms|--resource-group|${az_rg}|--tag|app={app}|"
                "--state|deallocated"),
          Task("stop-app-dc1", "Stop {app} on the DC1 app servers", 10, "dc1-app",
               "cmd:sudo|systemctl|stop|{app}.service")
              .Rollback("cmd:sudo|systemctl|start|{app}.service", 10)
              .Opts("idempotent: true"),
          Check("verify-stopped-dc1", "{app} is down on every DC1 app server", 2, "dc1-app",
                "sh:! systemctl is-active --quiet {app}.service"),
          Task("snapshot-dc1-vms", "Snapshot the DC1 {app} VMs (kept 14 days)", 15, "cloud-ops",
               "cmd:govc|snapshot.create|-vm.ipath|${vm_folder}/{app}-app-{n}|pre-${change_id}")
              .Env("GOVC_URL=${vcenter_url};GOVC_USERNAME=svc-cutover@vsphere.local;"
                   "GOVC_PASSWORD=${secrets.vcenter_password}")
              .Timeout(30),
          Task("start-cloud-vms", "Start the cloud VMs of {app}", 15, "<cloud_cli",
               "cmd:az|vm|start|--resource-group|${az_rg}|--name|{app}-app-{n}")
              .Rollback("cmd:az|vm|deallocate|--resource-group|${az_rg}|--name|{app}-app-{n}", 10)
              .Timeout(25),
          Check("cloud-agents-up", "tminus agents on the {app} cloud VMs answer", 5, "az-app",
                "cmd:/opt/cutover/bin/host-selftest|--expect-ntp|--expect-dns|"
                "--expect-mount-points|/srv/{app}")
              .Opts("retries: {count: 5, delay: 1m}"),
          Task("configure-app", "Apply the cutover configuration to the {app} cloud tier", 20,
               "cloud-ops",
               "cmd:ansible-playbook|-i|${ansible_inventory}|site.yml|--limit|{db}_cloud|--tags|"
               "cutover|--extra-vars|change_id=${change_id}")
              .Env("ANSIBLE_VAULT_PASSWORD=${secrets.ansible_vault}")
              .Timeout(45)
              .Opts("retries: 1"),
          Task("start-app-cloud", "Start {app} on the cloud app servers", 5, "az-app",
               "cmd:sudo|systemctl|start|{app}.service")
              .Rollback("cmd:sudo|systemctl|stop|{app}.service")
              .Join(),
          Check("app-health-cloud", "{app} answers its health check in the cloud", 2, "user-probes",
                "http:https://{app}-cloud.${corp_domain}/health")
              .Opts("retries: {count: 5, delay: 30s}"),
          Task("monitoring-on", "Enable monitoring and alerting for the {app} cloud hosts", 2,
               "cloud-ops", "cmd:/opt/cutover/bin/monitoring|enable|--hostgroup|{app}-cloud")
              .Opts("on_failure: continue"),
      },
      // application
      {
          Task("stop-batch", "Stop the {app} batch scheduler on DC1", 5, "dc1-batch",
               "cmd:sudo|systemctl|stop|{app}-batch-scheduler.service")
              .Rollback("cmd:sudo|systemctl|start|{app}-batch-scheduler.service")
              .Opts("idempotent: true"),
          Check("batch-drained", "Wait for the running {app} batch jobs to finish", 10, "dc1-batch",
                "cmd:/opt/{app}/bin/batchctl|jobs|--state|running|--wait-empty|--max-wait|25m")
              .Timeout(30)
              .Opts("retries: {count: 2, delay: 1m}"),
          Task("stop-inbound", "Stop the inbound partner interfaces of {app} on DC1", 5, "dc1-mq",
               "cmd:/opt/cutover/bin/ifctl|disable|--qmgr|${mq_dc1}|--app|{app}|--direction|"
               "inbound")
              .Rollback("cmd:/opt/cutover/bin/ifctl|enable|--qmgr|${mq_dc1}|--app|{app}|"
                        "--direction|inbound")
              .Owner("integration"),
          Check("drain-outbound", "Let the {app} outbound queues drain to zero", 10, "dc1-mq",
                "cmd:/opt/cutover/bin/check-mq-depth|--qmgr|${mq_dc1}|--queues|{APP}.OUT.*|"
                "--max-depth|0|--wait|15m")
              .Timeout(20)
              .Owner("integration"),
          Task("repoint-interfaces", "Repoint the {app} partner channels to the cloud", 10, "az-mq",
               "cmd:/opt/cutover/bin/ifctl|repoint|--app|{app}|--from|${mq_dc1}|--to|${mq_cloud}")
              .Rollback("cmd:/opt/cutover/bin/ifctl|repoint|--app|{app}|--from|${mq_cloud}|"
                        "--to|${mq_dc1}")
              .Owner("integration"),
          Check("smoke-login", "Smoke test: log in to {app} in the cloud", 5, "user-probes",
                "cmd:/opt/cutover/bin/smoke|--app|{app}|--base-url|"
                "https://{app}-cloud.${corp_domain}|--scenario|login")
              .Env("*smoke_env")
              .Expect("{exit_code: 0, stdout_contains: PASS}")
              .Join(),
          Check("smoke-transaction", "Smoke test: create and read back a {app} transaction", 10,
                "user-probes",
                "cmd:/opt/cutover/bin/smoke|--app|{app}|--base-url|"
                "https://{app}-cloud.${corp_domain}|--scenario|transaction")
              .Env("*smoke_env")
              .Expect("{exit_code: 0, stdout_contains: PASS}"),
          Task("start-inbound-cloud", "Start the inbound partner interfaces of {app} in the cloud",
               5, "az-mq",
               "cmd:/opt/cutover/bin/ifctl|enable|--qmgr|${mq_cloud}|--app|{app}|--direction|"
               "inbound")
              .Rollback("cmd:/opt/cutover/bin/ifctl|disable|--qmgr|${mq_cloud}|--app|{app}|"
                        "--direction|inbound")
              .Owner("integration"),
          Manual("uat", "Key users test {app} in the cloud and sign off", 45, "app-owner",
                 "by: [key-users, app-owner]\nquorum: 2"),
          Task("start-batch-cloud", "Start the {app} batch scheduler in the cloud", 5, "az-batch",
               "cmd:sudo|systemctl|start|{app}-batch-scheduler.service")
              .Rollback("cmd:sudo|systemctl|stop|{app}-batch-scheduler.service"),
      },
  };
  return kPlaybooks[stream];
}

// Read-only checks before T0, in parallel after the bridge opens.
const std::vector<Template>& PreChecks() {
  static const std::vector<Template> kPre = {
      Check("expressroute-health", "ExpressRoute circuit to the cloud is up on both links", 5,
            "<cloud_cli",
            "cmd:az|network|express-route|show|--resource-group|rg-network-hub|--name|"
            "${er_circuit}|--query|serviceProviderProvisioningState")
          .Opts("retries: {count: 2, delay: 1m}")
          .Expect("{stdout_contains: Provisioned}")
          .Stream("network"),
      Check("bgp-prefixes", "DC1 edge routers learn the cloud prefixes over ExpressRoute", 5,
            "net-ops",
            "cmd:/opt/cutover/bin/check-bgp-prefixes|--router|dc1-edge-01|--router|dc1-edge-02|"
            "--expect|10.60.0.0/14")
          .Stream("network"),
      Check("cloud-quota", "vCPU quota in the cloud region covers all waves with headroom", 2,
            "<cloud_cli",
            "cmd:/opt/cutover/bin/check-az-quota|--location|westeurope|--family|"
            "standardEDSv5Family|--need|2048")
          .Stream("compute"),
      Check("backups-fresh", "Last nightly backups of every DC1 database succeeded", 2, "dc1-db",
            "cmd:/opt/cutover/bin/check-backup-age|--tool|pgbackrest|--all-stanzas|--max-age|26h")
          .Stream("database"),
      Check("replication-slots", "Replication slots for the cloud replicas are active", 2, "dc1-db",
            "sh:test $$(psql -Atc \"SELECT count(*) FROM pg_replication_slots WHERE NOT "
            "active\") -eq 0")
          .Env("*pg_env")
          .Stream("database"),
      Check("cert-inventory", "Certificates of every migrating name are valid for 30+ days", 5,
            "local",
            "cmd:/opt/cutover/bin/check-cert-inventory|--list|/etc/cutover/names.txt|"
            "--min-days|30")
          .Stream("security"),
      Check("presync-jobs", "All azcopy pre-sync jobs completed in the last 6 hours", 2,
            "file-sync", "cmd:/opt/cutover/bin/check-azcopy-job|--all|--max-age|6h")
          .Stream("storage"),
      Manual("partner-allowlist", "Partners confirm they allow-listed the cloud egress addresses",
             20, "integration")
          .Stream("application"),
      Check("batch-calendar", "No long batch jobs are scheduled during the window", 5, "dc1-batch",
            "cmd:/opt/cutover/bin/batch-calendar|--from|now|--hours|12|"
            "--assert-none-longer-than|30m")
          .Stream("application"),
      Check("replication-lag", "Every cloud replica lags less than 30 seconds", 5, "cloud-db",
            "cmd:/opt/cutover/bin/check-replication-lag|--all|--max-lag|30s")
          .Env("*pg_env")
          .Opts("retries: {count: 3, delay: 1m}")
          .Stream("database")
          .NotBefore(-60),
      Manual("key-users-ready", "Key users for acceptance testing are on the bridge", 10,
             "app-owner")
          .Stream("application")
          .NotBefore(-60),
      Check("mq-backlog", "MQ interface queues on DC1 hold fewer than 100 messages", 5, "dc1-mq",
            "cmd:/opt/cutover/bin/check-mq-depth|--qmgr|${mq_dc1}|--queues|*.OUT.*|--max-depth|"
            "100")
          .Owner("integration")
          .Stream("application"),
  };
  return kPre;
}

// Checks that fan out from the gate at the start of a wave, one host each.
const std::vector<Template>& WaveChecks() {
  static const std::vector<Template> kChecks = {
      Check("host-health", "Pre-check: {app} host {n} has disk, NTP and DNS", 2, "cloud-ops",
            "cmd:/opt/cutover/bin/host-precheck|--host|{app}-app-{n}.dc1.${corp_domain}|"
            "--checks|disk,ntp,dns")
          .Stream("compute"),
      Check("backup-agent", "Pre-check: the backup agent on {app} host {n} ran in 24h", 2,
            "cloud-ops",
            "cmd:/opt/cutover/bin/check-backup-agent|--host|{app}-app-{n}|--within|24h")
          .Stream("storage"),
      Task("monitoring-silence", "Silence monitoring for {app} host {n}", 2, "cloud-ops",
           "cmd:/opt/cutover/bin/monitoring|silence|--host|{app}-app-{n}|--hours|12|--reason|"
           "${change_id}")
          .Rollback("cmd:/opt/cutover/bin/monitoring|unsilence|--host|{app}-app-{n}")
          .Opts("on_failure: continue")
          .Stream("compute"),
      Check("cloud-host-ssh", "Pre-check: cloud host {n} of {app} accepts SSH", 2, "user-probes",
            "tcp:{app}-cloud-{n}.${corp_domain}:22")
          .Stream("network"),
  };
  return kChecks;
}

// Roll-forward work after the point of no return: no rollbacks here.
const std::vector<Template>& TailSteps() {
  static const std::vector<Template> kTail = {
      Task("open-to-users", "Remove the testers-only rule: users get in", 5, "<cloud_cli",
           "cmd:az|network|application-gateway|waf-policy|custom-rule|delete|--resource-group|"
           "${az_rg}|--policy-name|${waf_policy}|--name|AllowTestersOnly{n}")
          .Stream("network"),
      Task("maintenance-pages-off", "Remove the maintenance iRules from the DC1 VIPs", 5, "f5-dc1",
           "cmd:tmsh|modify|ltm|virtual|vs_batch{n}_https|rules|none")
          .Stream("network"),
      Task("reverse-replication", "Make DC1 a streaming replica of the cloud databases", 30,
           "dc1-db", "cmd:/opt/cutover/bin/pg-reverse-replication|--primary-site|cloud|--batch|{n}")
          .Env("*pg_env")
          .Timeout(60)
          .Stream("database"),
      Task("cloud-backups", "Enable nightly backups for the migrated databases", 10, "cloud-ops",
           "cmd:/opt/cutover/bin/backup-policy|apply|--site|cloud|--batch|{n}|--policy|"
           "nightly-35d")
          .Opts("on_failure: continue")
          .Stream("storage"),
      Check("user-probe-sweep", "Synthetic users reach every migrated application", 10,
            "user-probes",
            "cmd:/opt/cutover/bin/probe-sweep|--inventory|/etc/cutover/migrated-{n}.txt|"
            "--max-failures|0")
          .Opts("retries: {count: 3, delay: 2m}")
          .Stream("application"),
      Manual("hypercare-rota", "Open the hypercare dashboard and confirm the war-room rota", 10,
             "service-desk")
          .Stream("application"),
      Task("partner-notice", "Tell the integration partners the cutover is complete", 2, "local",
           "cmd:/opt/cutover/bin/notify|--template|partners-live|--change|${change_id}|--list|"
           "${notify_list}")
          .Env("SNOW_TOKEN=${secrets.snow_token}")
          .Opts("on_failure: continue")
          .Stream("application"),
      Check("perf-baseline", "Capture the first-hour performance baseline in the cloud", 15,
            "cloud-ops",
            "cmd:/opt/cutover/bin/perf-baseline|--window|1h|--out|"
            "${backup_dir}/baseline-{n}.json")
          .Timeout(30)
          .Stream("compute"),
      Task("siem-retention", "Raise SIEM retention for the cutover period", 2, "cloud-ops",
           "cmd:/opt/cutover/bin/siem|retention|--source-group|migrated-{n}|--days|90")
          .Opts("on_failure: continue")
          .Stream("security"),
  };
  return kTail;
}

// ---------------------------------------------------------------------------- generator

struct App {
  std::string name;   // orders-3
  std::string db;     // orders_3
  std::string upper;  // ORDERS_3
  std::string ip;     // new VIP
  std::string oldip;  // DC1 VIP
};

std::string Fill(std::string_view pattern, const App& app, int n) {
  std::string out;
  out.reserve(pattern.size() + 32);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      const size_t close = pattern.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = pattern.substr(i + 1, close - i - 1);
        const std::string* value = nullptr;
        if (name == "app") value = &app.name;
        if (name == "db") value = &app.db;
        if (name == "APP") value = &app.upper;
        if (name == "ip") value = &app.ip;
        if (name == "oldip") value = &app.oldip;
        if (value) {
          out += *value;
          i = close;
          continue;
        }
        if (name == "n") {
          out += Pad(n, 2);
          i = close;
          continue;
        }
      }
    }
    out += pattern[i];
  }
  return out;
}

// One step to write.
struct StepSpec {
  std::string comment;  // lines written before the step
  std::string id;
  std::string title;
  const char* type = "task";
  std::string stream;
  std::string owner;
  std::vector<int> needs;
  int minutes = 0;  // 0: left out (defaults.duration); milestones take none
  std::optional<int64_t> not_before;
  bool deadline = false;  // a deadline derived from the plan
  std::string body;       // rendered keys after duration (run, expect, rollback, signoff...)
  // Gates.
  std::vector<int> criteria;
  bool override_ = false;
  std::vector<std::string> approvers;
  std::string quorum;
  std::vector<int> approvers_exclude;
  int64_t decide_after = 30 * kMinute;  // decide_by: this long after the planned opening
  int64_t decide_by_at_least = INT64_MIN;
  const char* on_nogo = "rollback";
  // Milestones.
  bool no_return = false;
};

struct Planned {
  std::string id;
  int64_t end = 0;
  int dependants = 0;
  bool check = false;
};

class Generator {
 public:
  explicit Generator(const GenOptions& options)
      : steps_(std::max(1, options.steps)), seed_(options.seed), rng_(options.seed) {}

  std::string Run() {
    planned_.reserve(steps_);
    body_.reserve(static_cast<size_t>(steps_) * 560);
    ShuffleApps();
    if (steps_ < kFullShapeSteps) {
      Small();
    } else {
      const int pre = std::clamp(steps_ / 40, 6, 60);
      const int tail = std::clamp(steps_ / 50, 4, 120);
      std::vector<int> waves;
      for (int left = steps_ - pre - tail; left > 0;) {
        const int size = left <= 100 ? left : rng_.Between(50, std::min(100, left - 50));
        waves.push_back(size);
        left -= size;
      }
      wave_digits_ = std::max(2, static_cast<int>(std::to_string(waves.size()).size()));
      waves_ = static_cast<int>(waves.size());
      PrePhase(pre);
      for (size_t w = 0; w < waves.size(); ++w) {
        Wave(static_cast<int>(w) + 1, waves[w], w + 1 == waves.size());
      }
      Tail(tail);
    }
    std::string out = Header();
    out.reserve(out.size() + body_.size());
    out += body_;
    return out;
  }

 private:
  // ------------------------------------------------------------------ output of one step

  int Add(StepSpec&& s) {
    const int index = static_cast<int>(planned_.size());
    int64_t start = kOrigin;
    bool has_start = false;
    if (s.not_before) {
      start = *s.not_before;
      has_start = true;
    }
    for (int n : s.needs) {
      start = has_start ? std::max(start, planned_[n].end) : planned_[n].end;
      has_start = true;
      ++planned_[n].dependants;
    }
    const bool milestone = std::string_view(s.type) == "milestone";
    const int64_t duration = milestone ? 0 : (s.minutes > 0 ? s.minutes : 5) * kMinute;
    const int64_t end = start + duration;
    plan_end_ = std::max(plan_end_, end);
    planned_.push_back({s.id, end, 0, std::string_view(s.type) == "check"});

    std::string& out = body_;
    out += s.comment;
    out += "  - id: " + s.id + "\n";
    if (!s.title.empty()) out += "    title: " + Scalar(s.title) + "\n";
    if (std::string_view(s.type) != "task") out += std::string("    type: ") + s.type + "\n";
    if (!s.stream.empty()) out += "    stream: " + s.stream + "\n";
    if (!s.owner.empty()) out += "    owner: " + s.owner + "\n";
    if (!s.needs.empty()) AppendList(&out, 4, "needs", Ids(s.needs), 3);
    if (s.not_before) out += "    not_before: " + TTime(*s.not_before) + "\n";
    if (!milestone && s.minutes > 0) out += "    duration: " + Duration(s.minutes) + "\n";
    if (s.deadline) out += "    deadline: " + TTime(CeilTo(end + kHour, 15 * kMinute)) + "\n";
    out += s.body;
    if (std::string_view(s.type) == "gate") {
      if (!s.criteria.empty()) AppendList(&out, 4, "criteria", Ids(s.criteria), 0);
      if (s.override_) out += "    override: true\n";
      if (!s.approvers.empty()) AppendList(&out, 4, "approvers", s.approvers);
      if (!s.quorum.empty()) out += "    quorum: " + s.quorum + "\n";
      if (!s.approvers_exclude.empty()) {
        AppendList(&out, 4, "approvers_exclude", Ids(s.approvers_exclude));
      }
      if (!s.approvers.empty()) {
        const int64_t by =
            std::max(s.decide_by_at_least, CeilTo(start + s.decide_after, 5 * kMinute));
        out += "    decide_by: " + TTime(by) + "\n";
        out += "    on_timeout: nogo\n";
      }
      out += std::string("    on_nogo: ") + s.on_nogo + "\n";
    }
    if (s.no_return) out += "    no_return: true\n";
    out += "\n";
    return index;
  }

  std::vector<std::string> Ids(const std::vector<int>& steps) const {
    std::vector<std::string> ids;
    ids.reserve(steps.size());
    for (int i : steps) ids.push_back(planned_[i].id);
    return ids;
  }

  // A step from a template: id, title, type, stream, owner, duration and body.
  StepSpec FromTemplate(const Template& t, std::string id, const std::string& stream,
                        const App& app, int n, bool repeat) {
    StepSpec s;
    s.id = std::move(id);
    s.title = Fill(t.title, app, n);
    if (repeat) s.title += " (batch " + std::to_string(n) + ")";
    s.type = t.kind == Kind::kTask ? "task" : t.kind == Kind::kCheck ? "check" : "manual";
    s.stream = *t.stream ? t.stream : stream;
    s.owner = *t.owner ? t.owner : RoleOf(s.stream);
    s.minutes = t.minutes;
    // People round durations differently: some steps leave the default, some pad it (but
    // not past the timeout, or the step would time out as planned).
    const int timeout = t.kind == Kind::kManual ? INT_MAX
                        : t.timeout_minutes > 0 ? t.timeout_minutes
                                                : kDefaultTimeoutMinutes;
    if (s.minutes == 5 && rng_.Percent(30)) {
      s.minutes = 0;
    } else if (s.minutes >= 10 && rng_.Percent(20)) {
      s.minutes = std::min(s.minutes * 3 / 2, timeout);
    }
    if (t.kind == Kind::kManual) {
      if (*t.signoff) {
        s.body += "    signoff:\n";
        AppendLines(&s.body, 6, t.signoff);
      }
      return s;
    }
    if (t.timeout_minutes > 0) s.body += "    timeout: " + Duration(t.timeout_minutes) + "\n";
    AppendLines(&s.body, 4, t.opts);
    AppendAction(&s.body, "run", t, t.run, 0, app, n);
    if (*t.expect) {
      if (t.expect[0] == '{') {
        s.body += std::string("    expect: ") + t.expect + "\n";
      } else {
        s.body += "    expect:\n";
        AppendLines(&s.body, 6, t.expect);
      }
    }
    if (*t.rollback && !no_rollbacks_) {
      AppendAction(&s.body, "rollback", t, t.rollback, t.rollback_minutes, app, n);
    }
    return s;
  }

  void AppendAction(std::string* out, const char* key, const Template& t, std::string_view spec,
                    int minutes, const App& app, int n) {
    *out += std::string("    ") + key + ":\n";
    const bool merge = t.on[0] == '<';
    if (merge) {
      *out += std::string("      <<: *") + (t.on + 1) + "\n";
    } else {
      *out += std::string("      on: ") + t.on + "\n";
    }
    const size_t colon = spec.find(':');
    const std::string_view kind = spec.substr(0, colon);
    const std::string_view rest = spec.substr(colon + 1);
    if (kind == "cmd") {
      std::vector<std::string> argv;
      for (std::string_view arg : Split(rest, '|')) argv.push_back(Scalar(Fill(arg, app, n)));
      AppendList(out, 6, "command", argv);
    } else if (kind == "sh") {
      *out += "      shell: " + Scalar(Fill(rest, app, n)) + "\n";
    } else if (kind == "http") {
      *out += "      probe:\n        http:\n          url: " + Scalar(Fill(rest, app, n)) +
              "\n          status: 200\n";
    } else if (kind == "tcp") {
      *out += "      probe: {tcp: " + Scalar(Fill(rest, app, n)) + "}\n";
    } else if (kind == "dns") {
      const size_t eq = rest.find('=');
      *out += "      probe:\n        dns:\n          name: " +
              Scalar(Fill(rest.substr(0, eq), app, n)) +
              "\n          expect: " + Scalar(Fill(rest.substr(eq + 1), app, n)) + "\n";
    }
    if (!merge && *t.env) {
      if (t.env[0] == '*') {
        *out += std::string("      env: ") + t.env + "\n";
      } else {
        *out += "      env:\n";
        for (std::string_view pair : Split(t.env, ';')) {
          const size_t eq = pair.find('=');
          *out += "        " + std::string(pair.substr(0, eq)) + ": " +
                  Scalar(Fill(pair.substr(eq + 1), app, n)) + "\n";
        }
      }
    }
    if (minutes > 0) *out += "      duration: " + Duration(minutes) + "\n";
  }

  static std::string RoleOf(const std::string& stream) {
    for (int i = 0; i < kStreams; ++i) {
      if (stream == kStreamName[i]) return kStreamRole[i];
    }
    return "cutover-lead";
  }

  // Steps in [from, to) that nothing needs yet.
  std::vector<int> Leaves(int from, int to) const {
    std::vector<int> out;
    for (int i = from; i < to; ++i) {
      if (planned_[i].dependants == 0) out.push_back(i);
    }
    return out;
  }

  static void AddNeed(std::vector<int>* needs, int step) {
    if (std::find(needs->begin(), needs->end(), step) == needs->end()) needs->push_back(step);
  }

  static std::string Banner(const std::string& text) {
    const std::string rule = "  # " + std::string(74, '=') + "\n";
    return rule + "  # " + text + "\n" + rule;
  }

  // ---------------------------------------------------------------------------- sections

  void ShuffleApps() {
    apps_ = {"orders",      "billing",   "crm",         "hr-portal",   "payroll",  "warehouse",
             "pricing",     "ledger",    "search",      "reporting",   "identity", "mail-relay",
             "edi-gateway", "mes",       "plm",         "cms",         "intranet", "ticketing",
             "bi",          "data-lake", "invoicing",   "procurement", "fleet",    "loyalty",
             "catalog",     "shipping",  "returns",     "claims",      "quotes",   "scheduling",
             "timesheets",  "expenses",  "treasury",    "tax",         "assets",   "contracts",
             "compliance",  "audit",     "forecasting", "inventory"};
    for (size_t i = apps_.size() - 1; i > 0; --i) {
      std::swap(apps_[i], apps_[rng_.Next() % (i + 1)]);
    }
  }

  App MakeApp(int wave) const {
    App app;
    const int k = wave - 1;
    app.name = apps_[k % apps_.size()];
    if (k >= static_cast<int>(apps_.size())) {
      app.name += "-" + std::to_string(k / apps_.size() + 1);
    }
    app.db = app.name;
    std::replace(app.db.begin(), app.db.end(), '-', '_');
    app.upper = app.db;
    for (char& c : app.upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string host = std::to_string((k / 250) % 256) + "." + std::to_string(k % 250 + 2);
    app.ip = "10.60." + host;
    app.oldip = "10.20." + host;
    return app;
  }

  StepSpec OpenBridge() {
    StepSpec s;
    s.comment = Banner("Pre-checks (T-04:00 to the first go/no-go): read-only, nothing changes");
    s.id = "open-bridge";
    s.title = "Open the cutover bridge and take the roll call";
    s.type = "manual";
    s.stream = "cutover";
    s.owner = "cutover-lead";
    s.not_before = -4 * kHour;
    s.minutes = 15;
    return s;
  }

  // One pre-check: needs the bridge, sometimes the previous pre-check.
  int PreCheck(int i, int bridge, int previous) {
    const std::vector<Template>& pre = PreChecks();
    const Template& t = pre[i % pre.size()];
    const int cycle = i / static_cast<int>(pre.size());
    std::string id = std::string("pre-") + t.stem;
    if (cycle > 0) id += "-" + std::to_string(cycle + 1);
    StepSpec s = FromTemplate(t, std::move(id), t.stream, App{}, cycle + 1, cycle > 0);
    s.needs.push_back(previous >= 0 && rng_.Percent(15) ? previous : bridge);
    if (t.not_before_min != INT_MIN) s.not_before = t.not_before_min * kMinute;
    return Add(std::move(s));
  }

  void Small() {
    const int bridge = Add(OpenBridge());
    int previous = -1;
    for (int i = 0; i + 2 < steps_; ++i) previous = PreCheck(i, bridge, previous);
    if (steps_ >= 2) {
      StepSpec done;
      done.comment = Banner("Done");
      done.id = "cutover-complete";
      done.title = "Cutover complete";
      done.type = "milestone";
      done.stream = "cutover";
      done.needs = Leaves(0, static_cast<int>(planned_.size()));
      Add(std::move(done));
    }
  }

  void PrePhase(int budget) {
    const int bridge = Add(OpenBridge());

    StepSpec change;
    change.id = "confirm-change-approved";
    change.title = "Confirm the change is approved and in Scheduled state";
    change.type = "check";
    change.stream = "cutover";
    change.owner = "change-manager";
    change.not_before = -4 * kHour;
    change.minutes = 2;
    change.body =
        "    on_failure: abort\n"
        "    run:\n"
        "      on: local\n"
        "      command: [/opt/cutover/bin/snow-change-state, --change, \"${change_id}\", "
        "--expect, scheduled]\n"
        "      env: {SNOW_TOKEN: \"${secrets.snow_token}\"}\n"
        "    expect: {exit_code: 0, stdout_contains: \"state=scheduled\"}\n";
    const int approved = Add(std::move(change));

    StepSpec freeze;
    freeze.id = "confirm-change-freeze";
    freeze.title = "Confirm the change freeze is in force (no open releases)";
    freeze.type = "manual";
    freeze.stream = "cutover";
    freeze.owner = "change-manager";
    freeze.needs = {bridge, approved};
    freeze.minutes = 15;
    freeze.body = "    signoff: {by: [change-manager, app-owner], quorum: all}\n";
    const int freeze_step = Add(std::move(freeze));

    StepSpec notice;
    notice.id = "send-start-notice";
    notice.title = "Send the cutover start notice to stakeholders";
    notice.stream = "cutover";
    notice.owner = "cutover-lead";
    notice.needs = {freeze_step};
    notice.body =
        "    on_failure: continue\n"
        "    run:\n"
        "      on: local\n"
        "      command: [/opt/cutover/bin/notify, --template, cutover-start, --change, "
        "\"${change_id}\", --list, \"${notify_list}\"]\n"
        "    rollback:\n"
        "      on: local\n"
        "      command: [/opt/cutover/bin/notify, --template, cutover-cancelled, --change, "
        "\"${change_id}\", --list, \"${notify_list}\"]\n";
    Add(std::move(notice));

    const int first_check = static_cast<int>(planned_.size());
    int previous = -1;
    for (int i = 0; i < budget - 5; ++i) previous = PreCheck(i, bridge, previous);

    StepSpec gate;
    gate.id = "gng-start";
    gate.title = "GO/NO-GO: start the cutover";
    gate.type = "gate";
    gate.stream = "cutover";
    gate.owner = "cutover-lead";
    gate.needs = Leaves(0, static_cast<int>(planned_.size()));
    gate.not_before = -20 * kMinute;
    gate.minutes = 15;
    gate.criteria.push_back(freeze_step);
    for (int i = first_check;
         i < static_cast<int>(planned_.size()) && static_cast<int>(gate.criteria.size()) < 7; ++i) {
      if (planned_[i].check && rng_.Percent(60)) gate.criteria.push_back(i);
    }
    gate.approvers = {"cutover-lead", "change-manager", "app-owner"};
    gate.quorum = "all";
    gate.decide_after = 20 * kMinute;
    gate.decide_by_at_least = 0;
    gate.on_nogo = "abort";
    last_gate_ = Add(std::move(gate));
  }

  void Wave(int wave, int budget, bool last) {
    const App app = MakeApp(wave);
    const std::string prefix = "w" + Pad(wave, wave_digits_);
    const int entry = last_gate_;
    const int64_t entry_end = planned_[entry].end;

    // Shape: K pre-checks, S streams, and the lanes get the rest.
    int checks = rng_.Between(4, 12);
    int streams = rng_.Between(3, kStreams);
    checks = std::min(checks, std::max(1, (budget - 3) / 4));
    streams = std::min(streams, std::max(1, (budget - 3 - checks) / 2));
    const int lane_steps = budget - 3 - checks - streams;
    std::vector<int> chosen(kStreams);
    for (int i = 0; i < kStreams; ++i) chosen[i] = i;
    for (int i = kStreams - 1; i > 0; --i) std::swap(chosen[i], chosen[rng_.Next() % (i + 1)]);
    chosen.resize(streams);
    std::sort(chosen.begin(), chosen.end());
    std::vector<int> lengths(streams, 1);
    std::vector<int> weights(streams);
    int weight_sum = 0;
    for (int& w : weights) weight_sum += (w = rng_.Between(2, 5));
    int assigned = streams;
    for (int i = 0; i < streams; ++i) {
      const int extra = (lane_steps - streams) * weights[i] / weight_sum;
      lengths[i] += extra;
      assigned += extra;
    }
    for (int i = 0; assigned < lane_steps; i = (i + 1) % streams, ++assigned) ++lengths[i];

    std::string names;
    for (int s : chosen) names += std::string(names.empty() ? "" : ", ") + kStreamName[s];
    std::string comment = Banner("Wave " + std::to_string(wave) + " of " + std::to_string(waves_) +
                                 ": " + app.name + " (" + names + ")");

    // Pre-checks fan out from the gate and fan in to a milestone.
    const std::vector<Template>& wave_checks = WaveChecks();
    std::vector<int> prechecks;
    for (int i = 0; i < checks; ++i) {
      const Template& t = wave_checks[i % wave_checks.size()];
      const int host = i / static_cast<int>(wave_checks.size()) + 1;
      StepSpec s = FromTemplate(t, prefix + "-pre-" + t.stem + "-" + Pad(host, 2), t.stream, app,
                                host, false);
      s.comment = std::move(comment);
      comment.clear();
      s.needs.push_back(entry);
      prechecks.push_back(Add(std::move(s)));
    }
    StepSpec ready;
    ready.id = prefix + "-prechecks-done";
    ready.title = "Pre-checks for " + app.name + " passed";
    ready.type = "milestone";
    ready.stream = "cutover";
    ready.needs = prechecks;
    const int ready_step = Add(std::move(ready));

    // One lane per stream; later lanes may need earlier ones (fan-in across streams).
    std::vector<std::vector<int>> lanes;
    std::vector<int> lane_checks;
    int uat = -1;
    for (int l = 0; l < streams; ++l) {
      const int stream = chosen[l];
      const std::vector<Template>& book = Playbook(stream);
      std::vector<int> lane;
      for (int j = 0; j < lengths[l]; ++j) {
        const Template& t = book[j % book.size()];
        const int cycle = j / static_cast<int>(book.size());
        std::string id = prefix + "-" + kStreamCode[stream] + "-" + t.stem;
        if (cycle > 0) id += "-" + std::to_string(cycle + 1);
        StepSpec s = FromTemplate(t, std::move(id), kStreamName[stream], app, cycle + 1, cycle > 0);
        if (j == 0) {
          s.comment = "  # -- " + std::string(kStreamName[stream]) + " --\n";
          // The first lane always waits for the pre-checks; others may start off the gate.
          s.needs.push_back(l == 0 || rng_.Percent(60) ? ready_step : entry);
          if (rng_.Percent(20)) {
            s.not_before = std::max<int64_t>(0, CeilTo(entry_end, 15 * kMinute));
          }
        } else {
          const int r = rng_.Between(0, 99);
          if (j >= 2 && r < 20) {
            s.needs.push_back(lane[j - 2]);  // a parallel branch
          } else if (j >= 2 && r < 35) {
            s.needs = {lane[j - 1], lane[j - 2]};  // branches join
          } else {
            s.needs.push_back(lane[j - 1]);
          }
        }
        if (t.join || rng_.Percent(8)) {
          for (const std::vector<int>& other : lanes) AddNeed(&s.needs, other.back());
        }
        if (t.kind == Kind::kTask && rng_.Percent(5)) s.deadline = true;
        const int index = Add(std::move(s));
        lane.push_back(index);
        if (t.kind == Kind::kCheck) lane_checks.push_back(index);
        if (t.kind == Kind::kManual && std::string_view(t.stem) == "uat") uat = index;
      }
      lanes.push_back(std::move(lane));
    }

    // Each lane ends in a milestone that needs whatever in the lane nothing else needs yet.
    std::vector<int> done;
    for (int l = 0; l < streams; ++l) {
      const std::vector<int>& lane = lanes[l];
      StepSpec m;
      m.comment = l == 0 ? "  # -- hand-over --\n" : "";
      m.id = prefix + "-" + kStreamCode[chosen[l]] + "-done";
      m.title = std::string("Wave ") + std::to_string(wave) + " " + kStreamName[chosen[l]] +
                " work complete";
      m.type = "milestone";
      m.stream = kStreamName[chosen[l]];
      for (int i : lane) {
        if (planned_[i].dependants == 0) m.needs.push_back(i);
      }
      AddNeed(&m.needs, lane.back());
      done.push_back(Add(std::move(m)));
    }
    StepSpec handover;
    handover.id = prefix + "-handover";
    handover.title = "Stream leads confirm " + app.name + " is ready for the go/no-go";
    handover.type = "manual";
    handover.stream = "cutover";
    handover.owner = "cutover-lead";
    handover.needs = done;
    handover.minutes = 10;
    {
      std::vector<std::string> by;
      for (int s : chosen) by.push_back(kStreamRole[s]);
      handover.body = "    signoff:\n";
      AppendList(&handover.body, 6, "by", by);
      handover.body += "      quorum: all\n";
    }
    const int handover_step = Add(std::move(handover));

    StepSpec gate;
    gate.id = prefix + "-go-nogo";
    gate.title = last ? "GO/NO-GO go-live: last chance to fall back"
                      : "GO/NO-GO wave " + std::to_string(wave) + ": hand " + app.name +
                            " over to production";
    gate.type = "gate";
    gate.stream = "cutover";
    gate.owner = "cutover-lead";
    gate.needs = {handover_step};
    for (int d : done) gate.needs.push_back(d);
    gate.minutes = rng_.Percent(50) ? 15 : 10;
    gate.criteria.push_back(handover_step);
    const int wanted = rng_.Between(1, 4);
    for (int tries = 0;
         tries < 8 && !lane_checks.empty() && static_cast<int>(gate.criteria.size()) <= wanted;
         ++tries) {
      AddNeed(&gate.criteria, lane_checks[rng_.Next() % lane_checks.size()]);
    }
    static const char* const kApprovers[] = {"cutover-lead", "change-manager", "app-owner",
                                             "business-owner"};
    if (last) {
      gate.approvers = {"business-owner", "app-owner", "cutover-lead"};
      gate.quorum = "all";
      gate.override_ = true;
    } else {
      gate.approvers.push_back("cutover-lead");
      for (int i = 1; i < 4; ++i) {
        if (rng_.Percent(55)) gate.approvers.push_back(kApprovers[i]);
      }
      if (gate.approvers.size() == 1) gate.approvers.push_back("app-owner");
      gate.quorum = rng_.Percent(70) ? "all" : "2";
      gate.override_ = rng_.Percent(15);
    }
    if (uat >= 0 && (last || rng_.Percent(50))) gate.approvers_exclude.push_back(uat);
    last_gate_ = Add(std::move(gate));
  }

  void Tail(int budget) {
    StepSpec ponr;
    ponr.comment = Banner("POINT OF NO RETURN. After it: roll forward only (no rollbacks)");
    ponr.id = "point-of-no-return";
    ponr.title = "POINT OF NO RETURN: the cloud becomes the system of record";
    ponr.type = "milestone";
    ponr.stream = "cutover";
    ponr.needs = {last_gate_};
    ponr.no_return = true;
    const int ponr_step = Add(std::move(ponr));
    no_rollbacks_ = true;

    const std::vector<Template>& tail = TailSteps();
    const int first = static_cast<int>(planned_.size());
    int previous = -1;
    for (int i = 0; i < budget - 3; ++i) {
      const Template& t = tail[i % tail.size()];
      const int cycle = i / static_cast<int>(tail.size());
      std::string id = std::string("post-") + t.stem;
      if (cycle > 0) id += "-" + std::to_string(cycle + 1);
      StepSpec s = FromTemplate(t, std::move(id), t.stream, App{}, cycle + 1, cycle > 0);
      s.needs.push_back(previous >= 0 && rng_.Percent(20) ? previous : ponr_step);
      previous = Add(std::move(s));
    }

    StepSpec close;
    close.id = "close-change";
    close.title = "Close the change as successful";
    close.type = "manual";
    close.stream = "cutover";
    close.owner = "change-manager";
    close.needs = Leaves(first, static_cast<int>(planned_.size()));
    if (close.needs.empty()) close.needs.push_back(ponr_step);
    close.minutes = 10;
    close.body = "    signoff:\n      by: [change-manager, cutover-lead]\n      quorum: all\n";
    const int close_step = Add(std::move(close));

    StepSpec complete;
    complete.id = "cutover-complete";
    complete.title = "Cutover complete";
    complete.type = "milestone";
    complete.stream = "cutover";
    complete.needs = {close_step};
    Add(std::move(complete));
  }

  std::string Header() const {
    const int64_t span = plan_end_ - kOrigin;
    // Some margin after the planned end, and after T0 (window.end must be).
    const int64_t window_end = std::max<int64_t>(
        kHour, CeilTo(plan_end_ + std::max<int64_t>(2 * kHour, span / 20), kHour));
    const std::string n = std::to_string(planned_.size());
    const std::string s = std::to_string(seed_);
    std::string h;
    h += "# Synthetic cutover runbook from tminus_bench_gen (steps: " + n + ", seed: " + s +
         "). Not a real plan.\n";
    h += "#\n"
         "# DC1 exit to the cloud. Pre-checks open at T-04:00 and end at the first\n"
         "# go/no-go gate. Each wave then moves one application: pre-checks fan out\n"
         "# from the previous gate, the network, security, storage, database, compute\n"
         "# and application streams work in parallel lanes, stream leads hand over and\n"
         "# a go/no-go gate closes the wave. After the last gate comes the point of no\n"
         "# return: roll forward only, no rollbacks below it.\n\n";
    h += "runbook: 1\n";
    h += "name: dc1-exit-n" + n + "-s" + s + "\n";
    h +=
        "title: \"DC1 exit to the cloud: " + std::to_string(waves_) + " waves, " + n + " steps\"\n";
    h += "change: CHG" + Pad(static_cast<int64_t>(seed_ % 10000000), 7) + "\n";
    h += "description: |\n"
         "  Moves the DC1 application estate to Azure West Europe, one application per\n"
         "  wave. Databases move by promoting streaming replicas, file shares by a final\n"
         "  azcopy sync, application tiers by starting pre-built cloud VMs. Fallback until\n"
         "  the point of no return: fence the cloud side and restart DC1.\n\n";
    h += "window:\n  start: 2027-03-05T20:00:00+01:00\n  end: " + TTime(window_end) + "\n\n";
    h += "roles:\n"
         "  cutover-lead: [dana, miguel]\n"
         "  change-manager: [harriet, omar]\n"
         "  network: [raj, tomasz, lena]\n"
         "  compute: [kofi, ines, pedro]\n"
         "  storage: [yuki, sam]\n"
         "  security: [farah, olu]\n"
         "  dba: [bogdan, carol, anand]\n"
         "  app-owner: [erin, jonas, sofia]\n"
         "  integration: [pavel, mei]\n"
         "  key-users: [wei, aisha, marek, lucia]\n"
         "  business-owner: [priscilla, anders]\n"
         "  service-desk: [nina, tobias]\n\n";
    h += "targets:\n";
    const char* const kAgents[][3] = {{"dc1-db", "db", "dc1"},
                                      {"cloud-db", "db", "azure-weu"},
                                      {"az-app", "app", "azure-weu"},
                                      {"az-batch", "batch", "azure-weu"},
                                      {"az-mq", "mq", "azure-weu"},
                                      {"cloud-ops", "cloud-ops", "dc1"},
                                      {"net-ops", "net-automation", "dc1"},
                                      {"file-sync", "file-sync", "dc1"},
                                      {"ad-tools", "ad-tools", "dc1"},
                                      {"user-probes", "synthetic", "hq"}};
    for (const auto& a : kAgents) {
      h += std::string("  ") + a[0] + ":\n    agents: {role: " + a[1] + ", site: " + a[2] + "}\n";
    }
    const std::string ssh_common =
        "      user: cutover\n"
        "      identity: /etc/tminus/keys/cutover_ed25519\n"
        "      known_hosts: /etc/tminus/known_hosts\n";
    h += "  dc1-app:                     # legacy app servers: SSH only, no agent\n"
         "    ssh:\n      hosts:\n";
    for (int i = 1; i <= 4; ++i) {
      h += "        - app" + Pad(i, 2) + ".dc1.corp.example.com\n";
    }
    h += ssh_common;
    h += "  dc1-batch:\n    ssh:\n      host: batch01.dc1.corp.example.com\n" + ssh_common;
    h += "  dc1-mq:\n    ssh:\n      host: mq01.dc1.corp.example.com\n" + ssh_common;
    h += "  f5-dc1:                      # F5 LTM pair, active unit\n"
         "    ssh:\n      host: f5-ltm-01.dc1.corp.example.com\n      port: 22\n" +
         ssh_common;
    h += "  dns-resolvers:\n    ssh:\n      hosts: [ns1.corp.example.com, ns2.corp.example.com]\n" +
         ssh_common;
    h += "  dc1-nas:\n    ssh:\n      host: nas-dc1-01-mgmt.corp.example.com\n" + ssh_common;
    h += "\n";
    h += "vars:\n"
         "  change_id: CHG" +
         Pad(static_cast<int64_t>(seed_ % 10000000), 7) +
         "\n"
         "  corp_domain: corp.example.com\n"
         "  az_rg: rg-dc1-exit-weu\n"
         "  appgw_name: agw-dc1-exit-weu\n"
         "  waf_policy: waf-dc1-exit-weu\n"
         "  er_circuit: er-dc1-weu-01\n"
         "  storage_account: stdc1exitweu\n"
         "  key_vault: kv-dc1-exit-weu\n"
         "  backup_vault: rsv-dc1-exit-weu\n"
         "  backup_dir: /backup/dc1-exit/pre-cutover\n"
         "  vm_folder: /DC1/vm/apps\n"
         "  vcenter_url: vcenter-dc1.corp.example.com\n"
         "  svm: svm_apps\n"
         "  mq_dc1: QMDC1\n"
         "  mq_cloud: QMWEU\n"
         "  pg_version: \"15\"\n"
         "  dns_view: internal\n"
         "  panorama_dg: DG-DC1-EDGE\n"
         "  ansible_inventory: inventories/azure-weu\n"
         "  notify_list: dc1-exit-stakeholders\n"
         "  azcopy_app_id: 5f0c2a77-2b1e-4a8e-9d1c-6e3b0f7a9c11\n"
         "  azure_tenant: 0b6c9f3e-8d4a-4f0e-a2c5-1e7d3b9a6f20\n\n";
    h += "secrets:\n"
         "  pg_admin_password: {env: PG_ADMIN_PASSWORD}\n"
         "  pg_replication_password: {env: PG_REPL_PASSWORD}\n"
         "  azcopy_sp_secret: {env: AZCOPY_SPA_CLIENT_SECRET}\n"
         "  infoblox_password: {env: INFOBLOX_PASSWORD}\n"
         "  panorama_api_key: {file: /etc/tminus/secrets/panorama.key}\n"
         "  snow_token: {env: SNOW_API_TOKEN}\n"
         "  smoke_password: {env: SMOKE_PASSWORD}\n"
         "  vcenter_password: {env: GOVC_PASSWORD}\n"
         "  ansible_vault: {file: /etc/tminus/secrets/ansible-vault.pass}\n\n";
    h += "defaults:\n"
         "  duration: 5m\n"
         "  timeout: " +
         Duration(kDefaultTimeoutMinutes) +
         "\n"
         "  on_failure: pause\n\n";
    h += "# Shared fragments (x- keys are ignored by tminus), used with <<: *name or *name.\n"
         "x-cloud-cli: &cloud_cli\n"
         "  on: cloud-ops\n"
         "  env:\n"
         "    AZURE_CORE_ONLY_SHOW_ERRORS: \"true\"\n"
         "    AZURE_CORE_OUTPUT: tsv\n"
         "x-pg-env: &pg_env\n"
         "  PGUSER: postgres\n"
         "  PGPASSWORD: \"${secrets.pg_admin_password}\"\n"
         "x-infoblox-env: &infoblox_env\n"
         "  IBX_USER: svc-cutover\n"
         "  IBX_PASSWORD: \"${secrets.infoblox_password}\"\n"
         "x-panorama-env: &panorama_env\n"
         "  PANORAMA_API_KEY: \"${secrets.panorama_api_key}\"\n"
         "x-smoke-env: &smoke_env\n"
         "  SMOKE_USER: svc-smoke\n"
         "  SMOKE_PASSWORD: \"${secrets.smoke_password}\"\n\n";
    h += "steps:\n";
    return h;
  }

  const int steps_;
  const uint64_t seed_;
  Rng rng_;
  std::vector<std::string> apps_;
  std::vector<Planned> planned_;
  std::string body_;
  int64_t plan_end_ = kOrigin;
  int last_gate_ = -1;
  int wave_digits_ = 2;
  int waves_ = 0;
  bool no_rollbacks_ = false;
};

}  // namespace

std::string GenerateRunbook(const GenOptions& options) { return Generator(options).Run(); }

}  // namespace tminus::bench
