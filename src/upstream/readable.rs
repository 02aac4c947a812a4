//! A tool's result for a person to read: the CLI prints it after `lanyard call`, the app shows it
//! after a tool is tried. Text is shown as text, structured content as JSON, and content a person
//! cannot read on a terminal or in a line of the window (images, sound) as a one-line summary.

use rmcp::model::{CallToolResult, ContentBlock};

/// The result's content, one block after another, each on lines of its own.
pub fn readable(result: &CallToolResult) -> String {
    let mut lines: Vec<String> = result.content.iter().map(block).collect();
    if result.content.is_empty()
        && let Some(structured) = &result.structured_content
    {
        lines.push(serde_json::to_string_pretty(structured).unwrap_or_else(|_| structured.to_string()));
    }
    lines.join("\n")
}

fn block(content: &ContentBlock) -> String {
    match content {
        ContentBlock::Text(text) => text.text.clone(),
        ContentBlock::Image(image) => {
            format!("[image: {}, {} bytes base64]", image.mime_type, image.data.len())
        }
        ContentBlock::Audio(audio) => {
            format!("[audio: {}, {} bytes base64]", audio.mime_type, audio.data.len())
        }
        ContentBlock::Resource(resource) => format!("[resource: {}]", json(&resource.resource)),
        ContentBlock::ResourceLink(link) => format!("[resource link: {}]", link.uri),
        other => json(other),
    }
}

/// A piece of content as compact JSON (these types always serialise).
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use rmcp::model::ContentBlock;
    use serde_json::json;

    use super::*;

    #[test]
    fn text_is_shown_as_text_and_an_image_as_a_summary() {
        let result = CallToolResult::success(vec![
            ContentBlock::text("Elicitation completed: {\"name\":\"Ada\"}"),
            ContentBlock::image("aGVsbG8=", "image/png"),
        ]);
        assert_eq!(
            readable(&result),
            "Elicitation completed: {\"name\":\"Ada\"}\n[image: image/png, 8 bytes base64]"
        );
    }

    #[test]
    fn structured_content_alone_is_shown_as_json() {
        let mut result = CallToolResult::structured(json!({ "sum": 3 }));
        result.content.clear();
        assert!(readable(&result).contains("\"sum\": 3"), "{}", readable(&result));
    }
}
