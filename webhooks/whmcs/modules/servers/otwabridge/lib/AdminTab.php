<?php
/**
 * Rows on the admin's service page (AdminServicesTabFields) and their save
 * (AdminServicesTabFieldsSave): the Server ID (editable: link / relink an existing server),
 * the live status, the bridge's latest operation and its last error, and a link to the
 * bridge's admin console. Staff-only, so bridge codes and URLs may show here; every value
 * is HTML-escaped.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class AdminTab
{
    public const INPUT = 'otwabridge_server_id';
    public const ORIGINAL = 'otwabridge_server_id_original';

    public static function fields(array $params): array
    {
        if (Addons::isAddon($params)) {
            return [];
        }
        $stored = ServerId::get($params);
        $status = [];
        $error = '';
        try {
            $reply = Bridge::call('AdminServicesTabFields', 'status', $params, ['detail' => 'admin']);
            $status = Bridge::result($reply);
        } catch (\Throwable $e) {
            $error = Bridge::staffMessage($e);
        }
        $live = is_string($status['server_id'] ?? null) ? $status['server_id'] : '';
        $op = is_array($status['last_operation'] ?? null) ? $status['last_operation'] : [];

        return [
            'Server ID' => self::serverIdInput($stored !== '' ? $stored : $live, $live),
            'Live status' => self::e($error !== '' ? '—' : self::liveStatus($status)),
            'Bridge operation' => self::e($op ? trim(($op['action'] ?? '?') . ': ' . ($op['state'] ?? '?')
                . ' (' . ($op['id'] ?? '') . ')') : '—'),
            'Last error' => self::e($error !== '' ? $error : (string) ($op['last_error'] ?? '—')),
            'Bridge console' => self::consoleLink($params),
        ];
    }

    /** Link (or relink) the service to the Server ID typed in; nothing when unchanged. */
    public static function save(array $params): void
    {
        $new = trim((string) ($_REQUEST[self::INPUT] ?? ''));
        $original = trim((string) ($_REQUEST[self::ORIGINAL] ?? ''));
        if ($new === $original || Addons::isAddon($params)) {
            return;
        }
        if ($new === '') {
            ServerId::save($params, '');

            return;
        }
        $result = Import::adopt($params, $new);
        if ($result !== 'success') {
            Whmcs::activity('otwabridge: service #' . (int) ($params['serviceid'] ?? 0) . ' not linked to '
                . $new . ': ' . $result, (int) ($params['userid'] ?? 0));
        }
    }

    private static function serverIdInput(string $value, string $bridge): string
    {
        $note = $bridge !== '' && $bridge !== $value ? ' <span class="text-danger">bridge: ' . self::e($bridge)
            . '</span>' : '';

        return '<input type="hidden" name="' . self::ORIGINAL . '" value="' . self::e($value) . '">'
            . '<input type="text" class="form-control input-300" name="' . self::INPUT . '" value="'
            . self::e($value) . '" placeholder="link an existing server">' . $note;
    }

    private static function liveStatus(array $status): string
    {
        if (!$status) {
            return '—';
        }
        if (!empty($status['queued'])) {
            return 'being read (refresh in a moment)';
        }
        $parts = [(string) ($status['status'] ?? 'unknown')];
        if (!empty($status['ip'])) {
            $parts[] = (string) $status['ip'];
        }

        return implode(', ', $parts);
    }

    private static function consoleLink(array $params): string
    {
        $url = ProductSettings::text($params, ProductSettings::ADMIN_CONSOLE_URL);
        if ($url === '') {
            try {
                $settings = Settings::fromParams($params);
                $url = $settings->baseUrl . '/admin/services/' . rawurlencode($settings->panel) . '/'
                    . (int) ($params['serviceid'] ?? 0);
            } catch (\Throwable) {
                return '—';
            }
        }
        if (!preg_match('#^https?://#i', $url)) {
            return '—';
        }

        return '<a href="' . self::e($url) . '" target="_blank" rel="noopener noreferrer">Open in the bridge console</a>';
    }

    private static function e(string $text): string
    {
        return htmlspecialchars($text, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
    }
}
