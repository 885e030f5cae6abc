#include "bench/runbook_gen_templates.h"

#include "bench/runbook_gen_yaml.h"

namespace tminus::bench::gen {
namespace {

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

}  // namespace

std::string RoleOf(const std::string& stream) {
  for (int i = 0; i < kStreams; ++i) {
    if (stream == kStreamName[i]) return kStreamRole[i];
  }
  return "cutover-lead";
}

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
    *out +=
        "      probe:\n        dns:\n          name: " + Scalar(Fill(rest.substr(0, eq), app, n)) +
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

}  // namespace tminus::bench::gen
