<?php
// Debian's compiled Adminer, with one customisation the official image also has: the login
// form's server field starts as $ADMINER_DEFAULT_SERVER (what the user may still change).
function adminer_object() {
    // Untyped: the compiled adminer.php declares its methods without types.
    class DefaultServerAdminer extends Adminer\Adminer {
        function loginFormField($name, $heading, $value) {
            $server = getenv('ADMINER_DEFAULT_SERVER');
            if ($name === 'server' && is_string($server) && $server !== '') {
                $value = str_replace('name="auth[server]" value=""', 'name="auth[server]" value="' . htmlspecialchars($server) . '"', $value);
            }
            return parent::loginFormField($name, $heading, $value);
        }
    }
    return new DefaultServerAdminer();
}

include '/usr/share/adminer/adminer.php';
