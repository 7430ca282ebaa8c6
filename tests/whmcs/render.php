<?php
/**
 * Renders a module template with real Smarty, the way WHMCS's client area does, into a
 * standalone HTML page a browser can open.
 *
 *   php render.php <templates dir> <template.tpl> <vars.json> <out.html>
 *
 * Smarty: Debian's smarty4 (or smarty3) package; exit 3 with a message when missing.
 * vars.json: {"module": <templateVariables of ClientArea>, "whmcs": <WHMCS's own page
 * variables: serviceid, dedicatedip, assignedips, token, product, ...>}.
 * The page records JavaScript errors and console.error calls in
 * <html data-js-errors="..."> so a test can read them from the DOM.
 */

$candidates = ['/usr/share/php/smarty4/Smarty.class.php', '/usr/share/php/smarty3/Smarty.class.php'];
$found = null;
foreach ($candidates as $path) {
    if (is_file($path)) {
        $found = $path;
        break;
    }
}
if ($found === null) {
    fwrite(STDERR, "Smarty is not installed (apt-get install smarty4)\n");
    exit(3);
}
require_once $found;

[$self, $dir, $template, $varsPath, $out] = $argv;
$vars = json_decode(file_get_contents($varsPath), true, 512, JSON_THROW_ON_ERROR);

$smarty = new Smarty();
$smarty->setTemplateDir($dir);
$smarty->setCompileDir(sys_get_temp_dir() . '/otwabridge-smarty-' . getmypid());
$smarty->error_reporting = E_ALL;
foreach ($vars['whmcs'] + $vars['module'] as $name => $value) {
    $smarty->assign($name, $value);
}
$body = $smarty->fetch($template);

$page = <<<HTML
<!DOCTYPE html>
<html lang="en" data-js-errors="">
<head>
<meta charset="utf-8">
<title>Product details</title>
<script>
  (function () {
    var root = document.documentElement, errors = [];
    function note(text) { errors.push(String(text)); root.setAttribute('data-js-errors', errors.join(' | ')); }
    window.addEventListener('error', function (e) { note(e.message || 'error'); });
    var original = console.error;
    console.error = function () { note(Array.prototype.join.call(arguments, ' ')); original.apply(console, arguments); };
  })();
</script>
<style>
  body { font-family: sans-serif; margin: 24px; background: #f6f7f9; color: #222; }
  .btn { display: inline-block; padding: 6px 12px; border: 1px solid #ccc; border-radius: 4px; background: #fff; color: #222; text-decoration: none; cursor: pointer; }
  .btn-primary { background: #2e86c1; color: #fff; border-color: #2e86c1; }
  .btn-danger { background: #c0392b; color: #fff; border-color: #c0392b; }
  .btn-success { background: #27ae60; color: #fff; border-color: #27ae60; }
  .alert-warning { background: #fcf3cf; padding: 8px 12px; border-radius: 4px; }
  .form-control { display: block; margin: 4px 0; padding: 4px; }
</style>
</head>
<body>
<h2>My Services &raquo; Product details</h2>
$body
</body>
</html>
HTML;
file_put_contents($out, $page);
