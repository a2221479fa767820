//! The engine words its messages for the command line (`give it with
//! --param NAME=...`, `give a wider project with --root`); a caller that
//! takes no flags (the playground's API, the Python package) shows the
//! same message worded for its own users: one place holds what each flag
//! becomes, so the wordings cannot drift apart.

/// Who reads a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// `mapwright` on the command line: the message as the engine words it.
    CommandLine,
    /// A caller of the playground's JSON API (`"params"` in the request).
    Api,
    /// A caller of the Python package (`params=`, `root=`).
    Python,
}

/// What the engine says after the project a file lies outside of.
const WIDER_ROOT: &str = "; keep it inside, or give a wider project with --root";
/// What the engine says before a required param's name.
const GIVE_PARAM: &str = "give it with --param ";

/// `message`, worded by the engine for the command line, worded for
/// `audience`: each flag it names becomes what that caller gives instead.
pub fn worded_for(message: &str, audience: Audience) -> String {
    let (wider_root, give_param): (&str, fn(&str) -> String) = match audience {
        Audience::CommandLine => return message.to_string(),
        Audience::Api => (
            "; keep it inside (the text is loaded as if it sat at its integration's mapping file)",
            |name| format!("give it in \"params\": {{\"{name}\": ...}}"),
        ),
        Audience::Python => (
            "; keep it inside, or give a wider project with root=",
            |name| format!("give it in params={{\"{name}\": ...}}"),
        ),
    };
    let message = message.replace(WIDER_ROOT, wider_root);
    match message.find(GIVE_PARAM) {
        Some(i) => {
            let rest = &message[i + GIVE_PARAM.len()..];
            let name_end = rest.find("=...").unwrap_or(rest.len());
            let after = rest[name_end..].strip_prefix("=...").unwrap_or("");
            format!("{}{}{after}", &message[..i], give_param(&rest[..name_end]))
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIRED: &str =
        "param 'vendor_token' is required (the token); give it with --param vendor_token=...";
    const OUTSIDE: &str = "cannot read x.csv: it is outside the project /p (symlinks resolved); keep it inside, or give a wider project with --root";

    #[test]
    fn the_command_line_keeps_the_flags() {
        assert_eq!(worded_for(REQUIRED, Audience::CommandLine), REQUIRED);
        assert_eq!(worded_for(OUTSIDE, Audience::CommandLine), OUTSIDE);
    }

    #[test]
    fn the_api_is_told_of_its_request_fields() {
        assert_eq!(
            worded_for(REQUIRED, Audience::Api),
            "param 'vendor_token' is required (the token); give it in \"params\": {\"vendor_token\": ...}"
        );
        assert_eq!(
            worded_for(OUTSIDE, Audience::Api),
            "cannot read x.csv: it is outside the project /p (symlinks resolved); keep it inside (the text is loaded as if it sat at its integration's mapping file)"
        );
    }

    #[test]
    fn python_is_told_of_its_keywords() {
        assert_eq!(
            worded_for(REQUIRED, Audience::Python),
            "param 'vendor_token' is required (the token); give it in params={\"vendor_token\": ...}"
        );
        assert_eq!(
            worded_for(OUTSIDE, Audience::Python),
            "cannot read x.csv: it is outside the project /p (symlinks resolved); keep it inside, or give a wider project with root="
        );
    }

    #[test]
    fn a_message_naming_no_flag_is_as_it_was() {
        assert_eq!(worded_for("no flag here", Audience::Python), "no flag here");
    }
}
