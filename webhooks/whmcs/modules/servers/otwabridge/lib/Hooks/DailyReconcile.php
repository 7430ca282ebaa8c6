<?php
/**
 * DailyCronJob: compare WHMCS with the bridge, once a day, per server record.
 *
 * Sends `reconcile` with every Active/Suspended service of this module on the server (id,
 * WHMCS status, Server ID field, dedicated and assigned IPs). The bridge answers with the
 * problems it sees (an Active service without a running server, a service it does not
 * know, a Server ID that disagrees, IPs that changed). IP changes are written to the
 * service; everything is e-mailed to the admins in one message and logged.
 */

namespace WHMCS\Module\Server\Otwabridge\Hooks;

use WHMCS\Module\Server\Otwabridge\Bridge;
use WHMCS\Module\Server\Otwabridge\ModuleParams;
use WHMCS\Module\Server\Otwabridge\ServerId;
use WHMCS\Module\Server\Otwabridge\Whmcs;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class DailyReconcile
{
    public static function run(array $vars = []): void
    {
        $byServer = [];
        foreach (Whmcs::moduleServices() as $id => $row) {
            $byServer[(int) ($row['serverid'] ?? 0)][$id] = $row;
        }
        $report = [];
        foreach ($byServer as $serverId => $rows) {
            $params = $serverId > 0 ? ModuleParams::forServer($serverId) : null;
            if ($params === null) {
                $report[] = 'Services ' . implode(', ', array_map(static fn ($id) => '#' . $id, array_keys($rows)))
                    . ' have no usable otwabridge server record; they were not checked.';
                continue;
            }
            try {
                $reply = Bridge::call('DailyCronJob', 'reconcile', $params + ['serviceid' => 0, 'userid' => 0],
                    ['services' => array_values(array_map(self::describe(...), $rows))]);
            } catch (\Throwable $e) {
                $report[] = 'Server #' . $serverId . ': the daily check could not run: ' . Bridge::staffMessage($e);
                continue;
            }
            foreach ((array) (Bridge::result($reply)['problems'] ?? []) as $problem) {
                if (is_array($problem)) {
                    $report[] = self::handle($problem, $rows);
                }
            }
        }
        if ($report) {
            Whmcs::notifyAdmins('otwabridge daily check: ' . count($report) . ' item(s) need a look',
                implode("\n", $report));
        } else {
            Whmcs::activity('otwabridge daily check: WHMCS and the bridge agree');
        }
    }

    /** One service as the bridge's reconcile expects it. */
    private static function describe(array $row): array
    {
        return [
            'id' => (int) $row['id'],
            'status' => (string) ($row['status'] ?? ''),
            'server_id' => Whmcs::customField($row, ServerId::FIELD),
            'dedicatedip' => (string) ($row['dedicatedip'] ?? ''),
            'assignedips' => array_values(array_filter(array_map('trim',
                preg_split('/[\s,]+/', (string) ($row['assignedips'] ?? '')) ?: []))),
        ];
    }

    /** Apply what can be applied (IP changes); the report line. */
    private static function handle(array $problem, array $rows): string
    {
        $id = (int) ($problem['service_id'] ?? 0);
        $line = 'Service #' . $id . ': ' . (string) ($problem['message'] ?? ($problem['kind'] ?? 'problem'));
        if (($problem['kind'] ?? '') === 'ip_changed' && isset($rows[$id]) && is_string($problem['ip'] ?? null)) {
            try {
                Whmcs::updateService($id, ['dedicatedip' => $problem['ip'],
                    'assignedips' => implode("\n", array_map('strval', (array) ($problem['additional_ips'] ?? [])))]);
                $line .= ' (updated in WHMCS)';
            } catch (\Throwable $e) {
                $line .= ' (could not update WHMCS: ' . $e->getMessage() . ')';
            }
        }

        return $line;
    }
}
