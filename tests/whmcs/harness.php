<?php
/**
 * Test harness: stands in for WHMCS around the otwabridge module.
 *
 *   php harness.php <module.php> <Function> <params.json>
 *
 * Defines what WHMCS provides (the WHMCS constant, logModuleCall), loads the module, calls
 * otwabridge_<Function>($params) (or otwabridge_<Function>() when params.json is "-") and
 * prints {"return": <value>, "output": <stray output>} as JSON on stdout.
 * logModuleCall appends one JSON line per call to $OTWABRIDGE_MODULE_LOG, recording the
 * arguments exactly as the module passed them (before WHMCS would scrub replaceVars), so a
 * test can prove the module never hands a secret to the log in the first place.
 * $OTWABRIDGE_TRANSPORT ("curl" | "stream") forces the module's HTTP transport.
 */

define('WHMCS', true);

$transport = getenv('OTWABRIDGE_TRANSPORT');
if ($transport !== false && $transport !== '') {
    define('OTWABRIDGE_TRANSPORT', $transport);
}

function logModuleCall($module, $action, $requestString, $responseData, $processedData = '', $replaceVars = [])
{
    $path = getenv('OTWABRIDGE_MODULE_LOG');
    if ($path === false || $path === '') {
        return;
    }
    $entry = [
        'module' => $module,
        'action' => $action,
        'request' => $requestString,
        'response' => $responseData,
        'processed' => $processedData,
        'replaceVars' => $replaceVars,
    ];
    file_put_contents($path, json_encode($entry, JSON_UNESCAPED_SLASHES) . "\n", FILE_APPEND | LOCK_EX);
}

error_reporting(E_ALL);
set_error_handler(static function (int $no, string $msg, string $file, int $line): bool {
    fwrite(STDERR, "PHP notice/warning: $msg at $file:$line\n");

    return true;
});

[$self, $modulePath, $function, $paramsPath] = array_pad($argv, 4, '-');
require $modulePath;

$callable = 'otwabridge_' . $function;
if (!function_exists($callable)) {
    fwrite(STDERR, "no such module function: $callable\n");
    exit(2);
}
ob_start();
if ($paramsPath === '-') {
    $value = $callable();
} else {
    $params = json_decode(file_get_contents($paramsPath), true, 512, JSON_THROW_ON_ERROR);
    $value = $callable($params);
}
$output = ob_get_clean();
echo json_encode(['return' => $value, 'output' => $output], JSON_UNESCAPED_SLASHES), "\n";
