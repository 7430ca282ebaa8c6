<?php
/**
 * UsageUpdate: the daily cron calls it once per server record. One batched `usage` call
 * asks the bridge for the disk and bandwidth figures of every service of this module on
 * the server (in chunks of CHUNK), then each service's usage fields are written with
 * UpdateClientProduct (diskusage, disklimit, bwusage, bwlimit; megabytes).
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Usage
{
    /** Services per bridge call. */
    public const CHUNK = 200;

    private const FIELDS = ['disk_used_mb' => 'diskusage', 'disk_limit_mb' => 'disklimit',
        'bw_used_mb' => 'bwusage', 'bw_limit_mb' => 'bwlimit'];

    /** Returns nothing (WHMCS ignores it); problems go to the module and activity logs. */
    public static function update(array $params): void
    {
        try {
            $services = Whmcs::moduleServices((int) ($params['serverid'] ?? 0));
        } catch (\Throwable $e) {
            Whmcs::activity('otwabridge UsageUpdate: ' . Bridge::staffMessage($e));

            return;
        }
        $written = 0;
        foreach (array_chunk(array_keys($services), self::CHUNK) as $ids) {
            try {
                $reply = Bridge::call('UsageUpdate', 'usage', $params + ['serviceid' => 0, 'userid' => 0],
                    ['services' => $ids]);
            } catch (\Throwable $e) {
                Whmcs::activity('otwabridge UsageUpdate (server #' . (int) ($params['serverid'] ?? 0) . '): '
                    . Bridge::staffMessage($e));
                continue;
            }
            foreach ((array) (Bridge::result($reply)['services'] ?? []) as $id => $figures) {
                $fields = self::fields($figures);
                if ($fields && isset($services[(int) $id])) {
                    try {
                        Whmcs::updateService((int) $id, $fields);
                        $written++;
                    } catch (\Throwable $e) {
                        Whmcs::activity('otwabridge UsageUpdate: service #' . (int) $id . ': ' . $e->getMessage());
                    }
                }
            }
        }
        ModuleLog::write('UsageUpdate', ['serverid' => (int) ($params['serverid'] ?? 0),
            'services' => count($services)], '', 'usage written for ' . $written . ' services', $params);
    }

    /** UpdateClientProduct fields (whole MB) from one service's figures. */
    private static function fields($figures): array
    {
        $out = [];
        if (is_array($figures)) {
            foreach (self::FIELDS as $from => $to) {
                if (is_numeric($figures[$from] ?? null)) {
                    $out[$to] = max(0, (int) round((float) $figures[$from]));
                }
            }
        }

        return $out;
    }
}
