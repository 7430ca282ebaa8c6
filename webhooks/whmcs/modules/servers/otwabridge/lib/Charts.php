<?php
/**
 * Small inline SVG charts for the client area, drawn on the server: no JavaScript, no CDN,
 * no external request. Every text in them is escaped; the SVG strings are safe to print.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Charts
{
    /** A horizontal bar filled to $percent (0-100) with $caption under it. */
    public static function bar(string $name, float $percent, string $caption): string
    {
        $percent = max(0.0, min(100.0, $percent));
        $width = round(196 * $percent / 100, 1);
        $color = $percent >= 90 ? '#c0392b' : ($percent >= 70 ? '#e67e22' : '#2e86c1');

        return '<svg class="otwabridge-chart" data-metric="' . self::e($name) . '" role="img" '
            . 'aria-label="' . self::e($caption) . '" viewBox="0 0 200 34" width="200" height="34" '
            . 'xmlns="http://www.w3.org/2000/svg">'
            . '<rect x="2" y="2" width="196" height="12" rx="3" fill="#e5e8ec"/>'
            . '<rect x="2" y="2" width="' . $width . '" height="12" rx="3" fill="' . $color . '"/>'
            . '<text x="2" y="30" font-size="11" font-family="sans-serif" fill="#333">' . self::e($caption) . '</text>'
            . '</svg>';
    }

    /**
     * A sparkline of $values (oldest first) scaled to its own maximum, with $caption; a
     * single value draws a flat line at its level against $scaleMax.
     */
    public static function sparkline(string $name, array $values, float $scaleMax, string $caption): string
    {
        $values = array_values(array_map('floatval', array_filter($values, 'is_numeric')));
        $max = max($scaleMax, $values ? max($values) : 0.0, 1e-9);
        if (count($values) === 1) {
            $values[] = $values[0];
        }
        $points = [];
        $n = count($values);
        foreach ($values as $i => $value) {
            $x = $n > 1 ? 2 + 196 * $i / ($n - 1) : 2;
            $y = 24 - 22 * $value / $max;
            $points[] = round($x, 1) . ',' . round($y, 1);
        }
        $line = $points ? '<polyline fill="none" stroke="#2e86c1" stroke-width="1.5" points="'
            . implode(' ', $points) . '"/>' : '';

        return '<svg class="otwabridge-chart" data-metric="' . self::e($name) . '" role="img" '
            . 'aria-label="' . self::e($caption) . '" viewBox="0 0 200 40" width="200" height="40" '
            . 'xmlns="http://www.w3.org/2000/svg">'
            . '<rect x="1" y="1" width="198" height="25" fill="#f4f6f8" stroke="#e5e8ec"/>' . $line
            . '<text x="2" y="38" font-size="11" font-family="sans-serif" fill="#333">' . self::e($caption) . '</text>'
            . '</svg>';
    }

    private static function e(string $text): string
    {
        return htmlspecialchars($text, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
    }
}
