<?php
/**
 * The variables of templates/overview.tpl, built from the bridge's `status` read (and its
 * live stats) for one service. Everything a client sees is worded in lang/ and escaped by
 * the template; the charts are inline SVG from Charts.
 *
 * Template contract: {$otwabridge} is this array; WHMCS's own variables ($serviceid,
 * $dedicatedip, $assignedips, $token, $LANG...) stay available as fallbacks.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class ClientView
{
    private const STATES = ['running', 'stopped', 'building', 'pending', 'suspended', 'failed', 'terminated'];

    /** Bar scales for a single sample (kB/s): 10 MB/s disk, 100 Mbit/s network. */
    private const DISK_SCALE = 10240.0;
    private const NET_SCALE = 12500.0;

    /**
     * @param array      $status the `status` result ({} when the read failed)
     * @param array|null $stats  {"live": {...}, "history": [...]} or null
     */
    public static function build(array $params, array $status, ?array $stats, Lang $lang, string $error): array
    {
        $serviceId = (int) ($params['serviceid'] ?? 0);
        $state = is_string($status['status'] ?? null) ? $status['status'] : 'unknown';
        $active = ($params['status'] ?? '') === 'Active';
        $base = 'clientarea.php?action=productdetails&id=' . $serviceId;
        $osChoices = self::osChoices($status);

        return [
            'lang' => $lang->all(),
            'service_id' => $serviceId,
            'status' => $state,
            'status_label' => $lang->get('status_' . (in_array($state, self::STATES, true) ? $state : 'unknown')),
            'suspended' => ($params['status'] ?? '') === 'Suspended',
            'hostname' => self::text($status['hostname'] ?? ($params['domain'] ?? '')),
            'primary_ip' => self::text($status['ip'] ?? ''),
            'extra_ips' => array_values(array_filter(array_map(self::text(...),
                (array) ($status['additional_ips'] ?? [])))),
            'os' => self::text($status['os_label'] ?? ($status['os'] ?? '')),
            'region' => self::text($status['region_label'] ?? ($status['region'] ?? '')),
            'plan' => self::text($status['plan_name'] ?? ($status['plan'] ?? '')),
            'charts' => self::charts($stats, $lang),
            'can_power' => $active && in_array($state, ['running', 'stopped'], true),
            'running' => $state === 'running',
            'can_reinstall' => $active && !ProductSettings::flag($params, ProductSettings::HIDE_CLIENT_REINSTALL)
                && in_array($state, ['running', 'stopped'], true),
            'os_choices' => $osChoices,
            'can_reset_password' => $active && $state === 'running',
            'action_url' => $base,
            'sso_url' => $base . '&dosinglesignon=1',
            'error' => $error,
        ];
    }

    /** The OS picker: the bridge's choices for this product, the current OS first. */
    private static function osChoices(array $status): array
    {
        $current = self::text($status['os'] ?? '');
        $out = [];
        foreach ((array) ($status['os_choices'] ?? []) as $choice) {
            if (is_array($choice) && is_scalar($choice['value'] ?? null)) {
                $value = self::text($choice['value']);
                $out[] = ['value' => $value, 'label' => self::text($choice['label'] ?? $value),
                    'selected' => $value === $current];
            }
        }
        if (!$out && $current !== '') {
            $out[] = ['value' => $current, 'label' => self::text($status['os_label'] ?? $current), 'selected' => true];
        }

        return $out;
    }

    /** [{name, label, svg}] for CPU, memory, disk I/O and network; [] without live data. */
    private static function charts(?array $stats, Lang $lang): array
    {
        $live = is_array($stats['live'] ?? null) ? $stats['live'] : null;
        if ($live === null) {
            return [];
        }
        $history = array_values(array_filter((array) ($stats['history'] ?? []), 'is_array'));
        $series = static function (string $key, callable $value) use ($history, $live): array {
            $points = array_map($value, $history);
            $points[] = $value($live);

            return $points;
        };
        $cpu = (float) ($live['cpu_percent'] ?? 0);
        $memUsed = (float) ($live['memory_used_mb'] ?? 0);
        $memTotal = max(1.0, (float) ($live['memory_total_mb'] ?? 0));
        $disk = $series('disk', static fn (array $s): float => (float) ($s['disk_read_kbps'] ?? 0)
            + (float) ($s['disk_write_kbps'] ?? 0));
        $net = $series('net', static fn (array $s): float => (float) ($s['net_rx_kbps'] ?? 0)
            + (float) ($s['net_tx_kbps'] ?? 0));

        return [
            ['name' => 'cpu', 'label' => $lang->get('cpu'),
                'svg' => Charts::bar('cpu', $cpu, self::number($cpu, 1) . ' %')],
            ['name' => 'memory', 'label' => $lang->get('memory'),
                'svg' => Charts::bar('memory', 100 * $memUsed / $memTotal,
                    self::number($memUsed, 0) . ' / ' . self::number($memTotal, 0) . ' MB')],
            ['name' => 'disk', 'label' => $lang->get('disk_io'), 'svg' => self::rate('disk', $disk, self::DISK_SCALE)],
            ['name' => 'network', 'label' => $lang->get('network'), 'svg' => self::rate('network', $net, self::NET_SCALE)],
        ];
    }

    /** A throughput (kB/s): a sparkline over the history, or a bar against $scale for one sample. */
    private static function rate(string $name, array $series, float $scale): string
    {
        $caption = self::number((float) end($series), 1) . ' kB/s';
        if (count($series) < 2) {
            return Charts::bar($name, 100 * (float) end($series) / $scale, $caption);
        }

        return Charts::sparkline($name, $series, 1.0, $caption);
    }

    private static function number(float $value, int $decimals): string
    {
        return number_format($value, $decimals, '.', ',');
    }

    private static function text($value): string
    {
        return is_scalar($value) ? trim((string) $value) : '';
    }
}
