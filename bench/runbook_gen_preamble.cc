#include "bench/runbook_gen_preamble.h"

#include <algorithm>

#include "bench/runbook_gen_yaml.h"

namespace tminus::bench::gen {

std::string Preamble(size_t steps, uint64_t seed, int waves, int64_t plan_origin,
                     int64_t plan_end) {
  const int64_t span = plan_end - plan_origin;
  // Some margin after the planned end, and after T0 (window.end must be).
  const int64_t window_end =
      std::max<int64_t>(kHour, CeilTo(plan_end + std::max<int64_t>(2 * kHour, span / 20), kHour));
  const std::string n = std::to_string(steps);
  const std::string s = std::to_string(seed);
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
  h += "title: \"DC1 exit to the cloud: " + std::to_string(waves) + " waves, " + n + " steps\"\n";
  h += "change: CHG" + Pad(static_cast<int64_t>(seed % 10000000), 7) + "\n";
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
       Pad(static_cast<int64_t>(seed % 10000000), 7) +
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

}  // namespace tminus::bench::gen
